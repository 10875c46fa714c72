package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/examples/consumer"
)

// envOf returns a getenv over the given variables.
func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestEnvironmentFallback(t *testing.T) {
	env := envOf(map[string]string{
		"CONSUMER_TOKEN":          "env-token",
		"CONSUMER_WEBHOOK_SECRET": "env-secret",
		"CONSUMER_OVERDUE":        "5s",
		"CONSUMER_MAX_POLL_RATE":  "2.5",
		"CONSUMER_DEFECT":         "no-dedupe",
		"CONSUMER_ADDR":           "127.0.0.1:0",
	})
	o, err := parseOptions([]string{"--overdue", "7s"}, env, &bytes.Buffer{})
	if err != nil {
		t.Fatalf("parseOptions: %v", err)
	}
	if o.cfg.Token != "env-token" {
		t.Errorf("Token was not read from CONSUMER_TOKEN")
	}
	if o.cfg.WebhookSecret != "env-secret" {
		t.Errorf("WebhookSecret was not read from CONSUMER_WEBHOOK_SECRET")
	}
	if o.cfg.Overdue != 7*time.Second {
		t.Errorf("Overdue = %s, want 7s: the flag wins over CONSUMER_OVERDUE", o.cfg.Overdue)
	}
	if o.cfg.MaxPollRate != 2.5 {
		t.Errorf("MaxPollRate = %v, want 2.5 from CONSUMER_MAX_POLL_RATE", o.cfg.MaxPollRate)
	}
	if o.cfg.Defect != consumer.DefectNoDedupe {
		t.Errorf("Defect = %q, want no-dedupe from CONSUMER_DEFECT", o.cfg.Defect)
	}
	if o.addr != "127.0.0.1:0" {
		t.Errorf("addr = %q, want 127.0.0.1:0 from CONSUMER_ADDR", o.addr)
	}
}

func TestDefaults(t *testing.T) {
	o, err := parseOptions(nil, envOf(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatalf("parseOptions: %v", err)
	}
	if o.addr != defaultAddr {
		t.Errorf("addr = %q, want %q", o.addr, defaultAddr)
	}
	if o.cfg.Overdue != consumer.DefaultOverdue {
		t.Errorf("Overdue = %s, want %s", o.cfg.Overdue, consumer.DefaultOverdue)
	}
	if o.cfg.MaxAttempts != consumer.DefaultMaxAttempts {
		t.Errorf("MaxAttempts = %d, want %d", o.cfg.MaxAttempts, consumer.DefaultMaxAttempts)
	}
	if o.cfg.Defect != consumer.DefectNone {
		t.Errorf("Defect = %q, want the correct consumer", o.cfg.Defect)
	}
}

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantText []string
	}{
		{"invalid env duration", nil, map[string]string{"CONSUMER_OVERDUE": "soon"},
			[]string{`"soon"`, "CONSUMER_OVERDUE", "--overdue"}},
		{"unknown defect", []string{"--defect", "slow"}, nil,
			[]string{"--defect", "CONSUMER_DEFECT", "poll-storm"}},
		{"positional argument", []string{"serve"}, nil, []string{`"serve"`, "flags only"}},
		{"unknown flag", []string{"--no-such"}, nil, []string{"no-such"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOptions(tt.args, envOf(tt.env), &bytes.Buffer{})
			if !errors.As(err, new(*usageError)) {
				t.Fatalf("error = %v, want a usage error", err)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestConfigErrorNamesFlag(t *testing.T) {
	o, err := parseOptions([]string{"--webhook-secret", "hook-secret", "--overdue", "-1s"}, envOf(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatalf("parseOptions: %v", err)
	}
	o.cfg.Token = "api-token"
	_, err = consumer.New(o.cfg)
	err = configUsageError(err)
	if !errors.As(err, new(*usageError)) {
		t.Fatalf("error = %v, want a usage error", err)
	}
	for _, want := range []string{"--overdue", "CONSUMER_OVERDUE", "negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestFieldFlagsAreDefined(t *testing.T) {
	fs, _ := newFlagSet(&bytes.Buffer{})
	for field, name := range fieldFlags {
		if fs.Lookup(name) == nil {
			t.Errorf("Config.%s maps to --%s, which is not defined", field, name)
		}
	}
}

func TestHelpListsEnvironment(t *testing.T) {
	var out bytes.Buffer
	_, err := parseOptions([]string{"-h"}, envOf(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("error = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"CONSUMER_API_URL", "CONSUMER_WEBHOOK_SECRET", "-max-retries", "retry-404-forever"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help does not mention %q:\n%s", want, out.String())
		}
	}
}
