package mockplatform

import (
	"fmt"
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
	if err := validateWebhookURL(s.URL); err != nil {
		return fmt.Errorf("subscription %s: %w", s.label(), err)
	}
	for name, value := range s.Headers {
		if !validHeaderName(name) {
			return fmt.Errorf("subscription %s: header name %q is invalid: use letters, digits and !#$%%&'*+-.^_`|~ only", s.label(), name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return fmt.Errorf("subscription %s: header %q has a line break or NUL in its value: remove it", s.label(), name)
		}
	}
	for _, t := range s.Topics {
		if _, err := ParseTopic(string(t)); err != nil {
			return fmt.Errorf("subscription %s: %w", s.label(), err)
		}
	}
	return nil
}

// label names s in error messages without showing header values.
func (s Subscription) label() string {
	if s.ID != "" {
		return s.ID
	}
	return fmt.Sprintf("for %q", s.URL)
}

// wants reports whether s receives topic t.
func (s Subscription) wants(t Topic) bool {
	return len(s.Topics) == 0 || slices.Contains(s.Topics, t)
}

func validateWebhookURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("url is missing: give an absolute http or https URL such as http://127.0.0.1:9000/webhooks")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q is invalid: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url %q is invalid: give an absolute URL whose scheme is http or https, such as http://127.0.0.1:9000/webhooks", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("url %q is invalid: it has no host; give an absolute URL such as http://127.0.0.1:9000/webhooks", raw)
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
