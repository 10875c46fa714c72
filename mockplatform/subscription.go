package mockplatform

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Subscription is a configured webhook: where the platform sends which
// topics, with which custom headers.
type Subscription struct {
	// ID identifies the subscription in journals and the control API.
	// Empty means the platform assigns "wh-N".
	ID string `json:"id" yaml:"id"`
	// Name is a label for people; the platform does not use it.
	Name string `json:"name,omitempty" yaml:"name"`
	// URL is the absolute http or https URL every delivery is POSTed to.
	URL string `json:"url" yaml:"url"`
	// Headers are sent on every delivery. The real platform has no
	// signature, so consumers authenticate it with a header here. The
	// values are masked in journals and never logged.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers"`
	// Topics are the topics delivered. Nil or empty means every topic.
	Topics []Topic `json:"topics,omitempty" yaml:"topics"`
}

// Validate reports the first invalid field of s, naming it and the
// accepted values.
func (s Subscription) Validate() error {
	if s.ID != "" && !profileNamePattern.MatchString(s.ID) {
		return fmt.Errorf("subscription id %q is invalid: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", s.ID)
	}
	if err := ValidateWebhookURL(s.URL); err != nil {
		return fmt.Errorf("subscription %s: %w", s.label(), err)
	}
	canonical := make(map[string]string, len(s.Headers))
	for name, value := range s.Headers {
		if !validHeaderName(name) {
			return fmt.Errorf("subscription %s: header name %q is invalid: use letters, digits and !#$%%&'*+-.^_`|~ only", s.label(), name)
		}
		if !validHeaderValue(value) {
			return fmt.Errorf("subscription %s: header %q has a control character in its value: remove it", s.label(), name)
		}
		if other, ok := canonical[http.CanonicalHeaderKey(name)]; ok {
			return fmt.Errorf("subscription %s: headers %q and %q are the same header: keep one", s.label(), other, name)
		}
		canonical[http.CanonicalHeaderKey(name)] = name
	}
	for _, t := range s.Topics {
		if _, err := ParseTopic(string(t)); err != nil {
			return fmt.Errorf("subscription %s: %w", s.label(), err)
		}
	}
	return nil
}

// label names s in error messages without showing header values or a
// password in the URL.
func (s Subscription) label() string {
	if s.ID != "" {
		return s.ID
	}
	return fmt.Sprintf("for %q", redactURL(s.URL))
}

// activeSubscription is a stored subscription with the values that
// every delivery to it shares, computed once when it is added. Nothing
// in it changes afterwards.
type activeSubscription struct {
	Subscription
	// journalURL is URL with secrets masked.
	journalURL string
	queue      *sendQueue
	// header is the request header of an attempt before fault rules
	// change it.
	header http.Header
	// journalHeaders is header as journal records show it, with the
	// configured values masked. The records of attempts whose headers
	// no fault rule changed share it.
	journalHeaders map[string]string
	// basicAuth is the Authorization value that the URL's user
	// information gives, as http.Client sends it; empty without user
	// information.
	basicAuth string
	// errorURL is URL as delivery errors show it: any password replaced
	// by "***", as http.Client.Do does, and secret query values masked.
	errorURL string
	// target is URL parsed once, and host the Host of its requests, as
	// http.NewRequest sets them. The requests of all attempts share
	// them, because the default client's transport only reads them;
	// do gives a custom client its own copy.
	target *url.URL
	host   string
}

// newActiveSubscription returns s with its shared delivery values. s
// must be a clone that nothing else changes.
func (p *Platform) newActiveSubscription(s Subscription) *activeSubscription {
	header := make(http.Header, 2+len(s.Headers))
	header.Set("Content-Type", "application/json")
	header.Set("User-Agent", "parashift-mock")
	for k, v := range s.Headers {
		header.Set(k, v)
	}
	a := &activeSubscription{
		Subscription:   s,
		journalURL:     redactURL(s.URL),
		queue:          p.sendQueueFor(s.URL),
		header:         header,
		journalHeaders: maskHeaders(header, s.Headers),
	}
	// Validate has parsed the URL, so the error cannot happen.
	if r, err := http.NewRequest(http.MethodPost, s.URL, nil); err == nil {
		a.target, a.host = r.URL, r.Host
	}
	if u, err := url.Parse(s.URL); err == nil {
		maskSecretQuery(u)
		a.errorURL = u.String()
		if u.User != nil {
			password, hasPassword := u.User.Password()
			credentials := u.User.Username() + ":" + password
			a.basicAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(credentials))
			if hasPassword {
				a.errorURL = strings.Replace(a.errorURL, u.User.String()+"@", u.User.Username()+":***@", 1)
			}
		}
	}
	return a
}

// clone returns s with its own header map and topic slice.
func (s Subscription) clone() Subscription {
	s.Topics = slices.Clone(s.Topics)
	if s.Headers != nil {
		hs := make(map[string]string, len(s.Headers))
		for k, v := range s.Headers {
			hs[k] = v
		}
		s.Headers = hs
	}
	return s
}

// redactURL masks the password of a URL and the values of query
// parameters whose names suggest a secret, such as api_key, so a URL
// can appear in journals, the control API and errors.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	maskSecretQuery(u)
	return u.Redacted()
}

// maskSecretQuery replaces the values of the query parameters of u
// whose names suggest a secret with MaskedValue.
func maskSecretQuery(u *url.URL) {
	q := u.Query()
	changed := false
	for name := range q {
		if mayBeSecret(name) {
			q.Set(name, MaskedValue)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
}

// wants reports whether s receives topic t.
func (s Subscription) wants(t Topic) bool {
	return len(s.Topics) == 0 || slices.Contains(s.Topics, t)
}

// ValidateWebhookURL reports whether raw is an absolute http or https
// URL with a host. The error shows the URL with any password masked.
func ValidateWebhookURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("url is missing: give an absolute http or https URL such as http://127.0.0.1:9000/webhooks")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q is invalid: give an absolute URL such as http://127.0.0.1:9000/webhooks", redactURL(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url %q is invalid: give an absolute URL whose scheme is http or https, such as http://127.0.0.1:9000/webhooks", redactURL(raw))
	}
	if u.Host == "" {
		return fmt.Errorf("url %q is invalid: it has no host; give an absolute URL such as http://127.0.0.1:9000/webhooks", redactURL(raw))
	}
	return nil
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v can be sent as a header value: no
// control character other than horizontal tab.
func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// secretHeaderWords are substrings of header names whose values may be
// credentials. Custom subscription headers are always treated as
// secrets, because that is how consumers authenticate the platform.
var secretHeaderWords = []string{"auth", "token", "secret", "key", "cookie", "signature", "password", "session", "credential"}

// MaskedValue replaces a header value that may be a secret.
const MaskedValue = "[masked]"

// mayBeSecret reports whether a header named name may carry a secret.
func mayBeSecret(name string) bool {
	lower := strings.ToLower(name)
	for _, w := range secretHeaderWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}
