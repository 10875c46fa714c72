package consumer

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{APIURL: "http://127.0.0.1:8080", Token: "secret-token", WebhookSecret: "secret-hook"}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := validConfig().withDefaults()
	if err != nil {
		t.Fatalf("withDefaults: %v", err)
	}
	checks := []struct {
		field    string
		got, def any
	}{
		{"Overdue", cfg.Overdue, DefaultOverdue},
		{"PollInterval", cfg.PollInterval, DefaultPollInterval},
		{"MaxPollRate", cfg.MaxPollRate, DefaultMaxPollRate},
		{"APITimeout", cfg.APITimeout, DefaultAPITimeout},
		{"RetryBase", cfg.RetryBase, DefaultRetryBase},
		{"RetryMaxDelay", cfg.RetryMaxDelay, DefaultRetryMaxDelay},
		{"MaxAttempts", cfg.MaxAttempts, DefaultMaxAttempts},
		{"SlowAckDelay", cfg.SlowAckDelay, DefaultSlowAckDelay},
		{"QueueSize", cfg.QueueSize, DefaultQueueSize},
		{"MaxBodyBytes", cfg.MaxBodyBytes, int64(DefaultMaxBodyBytes)},
	}
	for _, c := range checks {
		if c.got != c.def {
			t.Errorf("%s = %v, want the default %v", c.field, c.got, c.def)
		}
	}
}

func TestConfigTrimsTrailingSlash(t *testing.T) {
	in := validConfig()
	in.APIURL = "http://127.0.0.1:8080/"
	cfg, err := in.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults: %v", err)
	}
	if cfg.APIURL != "http://127.0.0.1:8080" {
		t.Errorf("APIURL = %q, want it without the trailing slash", cfg.APIURL)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name      string
		change    func(*Config)
		wantField string
		wantText  string
	}{
		{"missing API URL", func(c *Config) { c.APIURL = "" }, "APIURL", "missing"},
		{"relative API URL", func(c *Config) { c.APIURL = "127.0.0.1:8080" }, "APIURL", "absolute http or https URL"},
		{"API URL with /v2", func(c *Config) { c.APIURL = "http://127.0.0.1:8080/v2/" }, "APIURL", "ends with /v2"},
		{"API URL with query", func(c *Config) { c.APIURL = "http://127.0.0.1:8080?x=1" }, "APIURL", "query"},
		{"effects URL scheme", func(c *Config) { c.EffectsURL = "ftp://127.0.0.1/effects" }, "EffectsURL", "absolute http or https URL"},
		{"missing token", func(c *Config) { c.Token = "" }, "Token", "parashift-mock-token"},
		{"missing webhook secret", func(c *Config) { c.WebhookSecret = "" }, "WebhookSecret", "missing"},
		{"negative overdue", func(c *Config) { c.Overdue = -time.Second }, "Overdue", "negative"},
		{"negative API timeout", func(c *Config) { c.APITimeout = -1 }, "APITimeout", "negative"},
		{"cap below base", func(c *Config) { c.RetryBase, c.RetryMaxDelay = time.Second, time.Millisecond }, "RetryMaxDelay", "shorter than RetryBase"},
		{"negative rate", func(c *Config) { c.MaxPollRate = -1 }, "MaxPollRate", "not a positive number"},
		{"NaN rate", func(c *Config) { c.MaxPollRate = math.NaN() }, "MaxPollRate", "not a positive number"},
		{"negative attempts", func(c *Config) { c.MaxAttempts = -1 }, "MaxAttempts", "negative"},
		{"negative queue", func(c *Config) { c.QueueSize = -1 }, "QueueSize", "negative"},
		{"negative body limit", func(c *Config) { c.MaxBodyBytes = -1 }, "MaxBodyBytes", "negative"},
		{"unknown defect", func(c *Config) { c.Defect = "no-such" }, "Defect", "retry-404-forever"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.change(&cfg)
			_, err := New(cfg)
			var cerr *ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("New error = %v, want a *ConfigError", err)
			}
			if cerr.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", cerr.Field, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), "secret-token") || strings.Contains(err.Error(), "secret-hook") {
				t.Errorf("error %q contains a secret", err)
			}
		})
	}
}

func TestParseDefect(t *testing.T) {
	for _, d := range Defects {
		got, err := ParseDefect(string(d))
		if err != nil || got != d {
			t.Errorf("ParseDefect(%q) = %q, %v, want %q", d, got, err, d)
		}
	}
	for _, s := range []string{"", "none"} {
		if got, err := ParseDefect(s); err != nil || got != DefectNone {
			t.Errorf("ParseDefect(%q) = %q, %v, want the correct consumer", s, got, err)
		}
	}
	_, err := ParseDefect("slow")
	if err == nil || !strings.Contains(err.Error(), defectNames()) {
		t.Errorf("ParseDefect(%q) error = %v, want one that lists %s", "slow", err, defectNames())
	}
}

func TestRunTwice(t *testing.T) {
	c := newConsumer(t, validConfig())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if err := c.Run(ctx); err == nil {
		t.Errorf("second Run succeeded, want an error")
	}
}
