package consumer

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults used when the matching Config field is zero.
const (
	DefaultOverdue       = 2 * time.Second
	DefaultNotFoundWait  = 3 * time.Second
	DefaultPollInterval  = 250 * time.Millisecond
	DefaultMaxPollRate   = 5.0
	MinPollRate          = 0.001
	DefaultAPITimeout    = 2 * time.Second
	DefaultRetryBase     = 100 * time.Millisecond
	DefaultRetryMaxDelay = 5 * time.Second
	DefaultMaxAttempts   = 5
	DefaultSlowAckDelay  = 3 * time.Second
	DefaultQueueSize     = 1024
	// DefaultMaxBodyBytes is far above a real payload, which is a few
	// hundred bytes, because custom_fields have no documented limit.
	DefaultMaxBodyBytes = 1 << 20
)

// Config configures a Consumer. APIURL, Token and WebhookSecret are
// required; every other zero field means its default.
type Config struct {
	// APIURL is the platform's base URL without /v2, such as
	// http://127.0.0.1:8080. Polls go to APIURL + "/v2/documents/{id}".
	APIURL string

	// Token is the bearer token of the REST API. It is never logged and
	// never part of an error.
	Token string

	// WebhookSecret is the value the platform sends in
	// "Authorization: Bearer <secret>" on every webhook, as configured
	// in its webhook headers. It is never logged.
	WebhookSecret string

	// EffectsURL, when set, receives one JSON POST per business effect
	// (see Effect). Empty means effects are not reported.
	EffectsURL string

	// Overdue is how long a non-terminal document may go without a
	// webhook, and between two polls, before it is polled. Real time.
	Overdue time.Duration

	// NotFoundWait is how long after a 404 the document is polled
	// again. A 404 for a document a webhook announced means the API
	// does not show it yet; asking again at once cannot help. Real
	// time.
	NotFoundWait time.Duration

	// PollInterval is the period of the poll loop. Real time.
	PollInterval time.Duration

	// MaxPollRate bounds the REST API requests of all polls together,
	// retries included, in requests per second.
	MaxPollRate float64

	// APITimeout bounds one HTTP attempt, from sending the request to
	// reading the whole response.
	APITimeout time.Duration

	// RetryBase is the backoff before the second attempt; each later
	// retry doubles it up to RetryMaxDelay, and jitter takes up to
	// half of it off.
	RetryBase time.Duration

	// RetryMaxDelay caps one backoff delay. A Retry-After header may ask
	// for a longer wait, and the consumer honours it.
	RetryMaxDelay time.Duration

	// MaxAttempts is how many attempts one request gets, the first
	// included, before the consumer gives up on it.
	MaxAttempts int

	// SlowAckDelay is the sleep of DefectSlowAck in the handler.
	SlowAckDelay time.Duration

	// QueueSize is the capacity of the queue between the webhook
	// handler and the worker. When it is full, the handler responds
	// with 503, and the platform retries the event later.
	QueueSize int

	// MaxBodyBytes bounds a webhook body; a larger one gets 413.
	MaxBodyBytes int64

	// Defect selects a deliberate bug; DefectNone is the correct
	// consumer.
	Defect Defect

	// Logger receives the consumer's logs. Nil means no logs.
	Logger *slog.Logger

	// HTTPClient sends REST API requests and effects. Nil means a
	// client with its own transport. Its Timeout should be zero,
	// because APITimeout already bounds each attempt.
	HTTPClient *http.Client
}

// ConfigError reports an invalid Config field. Field is the name of
// the Config field, such as "Overdue", so that a command line can name
// its own flag instead.
type ConfigError struct {
	Field string
	// Problem describes what is wrong and how to fix it. It never
	// contains the value of Token or WebhookSecret.
	Problem string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("consumer: invalid Config.%s: %s", e.Field, e.Problem)
}

func configErrorf(field, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// withDefaults returns cfg with zero fields set to their defaults and
// trailing slashes removed from the URLs, or the first invalid field.
func (cfg Config) withDefaults() (Config, error) {
	if err := cfg.validateRequired(); err != nil {
		return Config{}, err
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	cfg.EffectsURL = strings.TrimRight(cfg.EffectsURL, "/")
	if err := cfg.Defect.validate(); err != nil {
		return Config{}, &ConfigError{Field: "Defect", Problem: err.Error()}
	}
	durations := []struct {
		field string
		value *time.Duration
		def   time.Duration
	}{
		{"Overdue", &cfg.Overdue, DefaultOverdue},
		{"NotFoundWait", &cfg.NotFoundWait, DefaultNotFoundWait},
		{"PollInterval", &cfg.PollInterval, DefaultPollInterval},
		{"APITimeout", &cfg.APITimeout, DefaultAPITimeout},
		{"RetryBase", &cfg.RetryBase, DefaultRetryBase},
		{"RetryMaxDelay", &cfg.RetryMaxDelay, DefaultRetryMaxDelay},
		{"SlowAckDelay", &cfg.SlowAckDelay, DefaultSlowAckDelay},
	}
	for _, d := range durations {
		if *d.value < 0 {
			return Config{}, configErrorf(d.field, "%s is negative: use a positive duration such as %s, or 0 for that default", *d.value, d.def)
		}
		if *d.value == 0 {
			*d.value = d.def
		}
	}
	if cfg.RetryMaxDelay < cfg.RetryBase {
		return Config{}, configErrorf("RetryMaxDelay", "%s is shorter than RetryBase %s: the cap must be at least the first delay", cfg.RetryMaxDelay, cfg.RetryBase)
	}
	return cfg.withNumericDefaults()
}

// validateRequired checks the required fields and the URLs.
func (cfg Config) validateRequired() error {
	if err := validateURL("APIURL", cfg.APIURL, true); err != nil {
		return err
	}
	if strings.HasSuffix(strings.TrimRight(cfg.APIURL, "/"), "/v2") {
		return configErrorf("APIURL", "%q ends with /v2: use the platform's base URL, such as http://127.0.0.1:8080, because the consumer adds /v2 itself", cfg.APIURL)
	}
	if err := validateURL("EffectsURL", cfg.EffectsURL, false); err != nil {
		return err
	}
	if cfg.Token == "" {
		return configErrorf("Token", "missing: set the bearer token of the platform's REST API (the mock's built-in development token is parashift-mock-token)")
	}
	if cfg.WebhookSecret == "" {
		return configErrorf("WebhookSecret", "missing: set the secret that the platform sends as \"Authorization: Bearer <secret>\" on every webhook")
	}
	return nil
}

// withNumericDefaults sets and checks the fields that are counts and
// rates.
func (cfg Config) withNumericDefaults() (Config, error) {
	if math.IsNaN(cfg.MaxPollRate) || math.IsInf(cfg.MaxPollRate, 0) || cfg.MaxPollRate < 0 {
		return Config{}, configErrorf("MaxPollRate", "%v is not a positive number: use requests per second such as %v, or 0 for that default", cfg.MaxPollRate, DefaultMaxPollRate)
	}
	// Below this rate the token bucket's wait overflows a Duration.
	if cfg.MaxPollRate != 0 && cfg.MaxPollRate < MinPollRate {
		return Config{}, configErrorf("MaxPollRate", "%v is below the minimum of %v requests per second: use a larger rate", cfg.MaxPollRate, MinPollRate)
	}
	if cfg.MaxPollRate == 0 {
		cfg.MaxPollRate = DefaultMaxPollRate
	}
	counts := []struct {
		field string
		value *int
		def   int
	}{
		{"MaxAttempts", &cfg.MaxAttempts, DefaultMaxAttempts},
		{"QueueSize", &cfg.QueueSize, DefaultQueueSize},
	}
	for _, c := range counts {
		if *c.value < 0 {
			return Config{}, configErrorf(c.field, "%d is negative: use a positive number such as %d, or 0 for that default", *c.value, c.def)
		}
		if *c.value == 0 {
			*c.value = c.def
		}
	}
	if cfg.MaxBodyBytes < 0 {
		return Config{}, configErrorf("MaxBodyBytes", "%d is negative: use a positive number of bytes, or 0 for the default %d", cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return cfg, nil
}

// validateURL checks that raw is an absolute http or https URL with a
// host and without query or fragment. An empty raw is valid unless
// required.
func validateURL(field, raw string, required bool) error {
	const fix = "use an absolute http or https URL such as http://127.0.0.1:8080"
	if raw == "" {
		if required {
			return configErrorf(field, "missing: %s", fix)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return configErrorf(field, "%q is not a URL: %s", raw, fix)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return configErrorf(field, "%q is not an absolute http or https URL: %s", raw, fix)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return configErrorf(field, "%q has a query, fragment or user info: %s", raw, fix)
	}
	return nil
}
