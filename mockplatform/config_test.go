package mockplatform_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// fullConfigPath is the documented example that sets every key.
const fullConfigPath = "../testdata/config/full.yaml"

func TestLoadConfigFull(t *testing.T) {
	got, err := mockplatform.LoadConfig(fullConfigPath)
	if err != nil {
		t.Fatalf("LoadConfig(%s): %v", fullConfigPath, err)
	}
	want := mockplatform.Config{
		Addr:      "127.0.0.1:8080",
		Seed:      42,
		Clock:     mockplatform.ClockScaled,
		TimeScale: 60,
		Tokens: []mockplatform.TenantToken{
			{Token: "tenant-one-token", Tenant: 1},
			{Token: "tenant-two-token", Tenant: 2},
		},
		Subscriptions: []mockplatform.Subscription{
			{
				ID:      "orders",
				Name:    "Order service",
				URL:     "http://127.0.0.1:9000/webhooks",
				Headers: map[string]string{"Authorization": "Bearer hook-secret"},
				Topics: []mockplatform.Topic{
					mockplatform.TopicDocumentReceived,
					mockplatform.TopicProcessingFinished,
					mockplatform.TopicProcessingFailed,
				},
			},
			{URL: "http://127.0.0.1:9001/all-topics"},
		},
		Profiles: []mockplatform.Profile{
			{
				Name:           "manual-extraction",
				Extraction:     []mockplatform.Level{mockplatform.LevelFirst, mockplatform.LevelQC},
				StepDuration:   2 * time.Second,
				ManualDuration: time.Minute,
				DocumentType:   "invoice",
			},
			{
				Name:           "late-failure",
				Classification: []mockplatform.Level{mockplatform.LevelSecond},
				FailAt:         mockplatform.StageExtraction,
			},
		},
		DefaultProfile:  "manual-extraction",
		RequestID:       mockplatform.RequestIDModePerAttempt,
		AttemptTimeout:  5 * time.Second,
		MaxBodyBytes:    10 << 20,
		JournalLimit:    50000,
		FirstDocumentID: 500001,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadConfig(%s) mismatch (-want +got):\n%s", fullConfigPath, diff)
	}
}

func TestConfigOptionsFull(t *testing.T) {
	cfg, err := mockplatform.LoadConfig(fullConfigPath)
	if err != nil {
		t.Fatalf("LoadConfig(%s): %v", fullConfigPath, err)
	}
	opts, err := cfg.Options()
	if err != nil {
		t.Fatalf("Options: %v", err)
	}

	scaled, ok := opts.Clock.(*clock.Scaled)
	if !ok {
		t.Fatalf("Options().Clock is %T, want *clock.Scaled", opts.Clock)
	}
	if scaled.Factor() != 60 {
		t.Errorf("Options().Clock.Factor() = %v, want 60", scaled.Factor())
	}
	wantTokens := map[string]int64{"tenant-one-token": 1, "tenant-two-token": 2}
	if diff := cmp.Diff(wantTokens, opts.Tokens); diff != "" {
		t.Errorf("Options().Tokens mismatch (-want +got):\n%s", diff)
	}
	if !opts.RequestIDPerAttempt {
		t.Errorf("Options().RequestIDPerAttempt = false, want true for request_id per-attempt")
	}
	if opts.Addr != "127.0.0.1:8080" || opts.Seed != 42 || opts.DefaultProfile != "manual-extraction" {
		t.Errorf("Options() = addr %q, seed %d, default profile %q; want 127.0.0.1:8080, 42, manual-extraction", opts.Addr, opts.Seed, opts.DefaultProfile)
	}
	if opts.AttemptTimeout != 5*time.Second || opts.MaxBodyBytes != 10<<20 || opts.JournalLimit != 50000 || opts.FirstDocumentID != 500001 {
		t.Errorf("Options() limits = %s, %d, %d, %d; want 5s, %d, 50000, 500001", opts.AttemptTimeout, opts.MaxBodyBytes, opts.JournalLimit, opts.FirstDocumentID, 10<<20)
	}
	if len(opts.Subscriptions) != 2 || len(opts.Profiles) != 2 {
		t.Errorf("Options() has %d subscriptions and %d profiles, want 2 and 2", len(opts.Subscriptions), len(opts.Profiles))
	}

	// New applies the platform's own checks to the same options.
	p, err := mockplatform.New(opts)
	if err != nil {
		t.Fatalf("New(Options of %s): %v", fullConfigPath, err)
	}
	t.Cleanup(func() { p.Close() })
	if got := len(p.Subscriptions()); got != 2 {
		t.Errorf("New(...).Subscriptions() has %d entries, want 2", got)
	}
}

func TestConfigOptionsClock(t *testing.T) {
	tests := []struct {
		name   string
		config mockplatform.Config
		want   string
	}{
		{"zero value is real", mockplatform.Config{}, "real"},
		{"time scale 1 is real", mockplatform.Config{TimeScale: 1}, "real"},
		{"time scale alone is scaled", mockplatform.Config{TimeScale: 10}, "scaled x10"},
		{"scaled", mockplatform.Config{Clock: mockplatform.ClockScaled, TimeScale: 2.5}, "scaled x2.5"},
		{"manual", mockplatform.Config{Clock: mockplatform.ClockManual}, "manual"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := tt.config.Options()
			if err != nil {
				t.Fatalf("Options: %v", err)
			}
			got := ""
			switch c := opts.Clock.(type) {
			case *clock.Scaled:
				got = fmt.Sprintf("scaled x%v", c.Factor())
			case *clock.Manual:
				got = "manual"
			case nil:
				got = "nil"
			default:
				got = "real"
			}
			if got != tt.want {
				t.Errorf("Options().Clock = %s (%T), want %s", got, opts.Clock, tt.want)
			}
		})
	}
}

func TestConfigOptionsDefaults(t *testing.T) {
	opts, err := mockplatform.Config{}.Options()
	if err != nil {
		t.Fatalf("Options: %v", err)
	}
	if opts.Tokens != nil {
		t.Errorf("Options().Tokens = %v, want nil so the platform uses its default token", opts.Tokens)
	}
	if opts.RequestIDPerAttempt {
		t.Errorf("Options().RequestIDPerAttempt = true, want false by default")
	}
}

func TestConfigOptionsInvalid(t *testing.T) {
	cfg := mockplatform.Config{RequestID: "sometimes"}
	_, err := cfg.Options()
	if err == nil {
		t.Fatal("Options() with request_id sometimes: got nil error")
	}
	var ce *mockplatform.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Options() error %v is not a *ConfigError", err)
	}
	if ce.Field != "request_id" {
		t.Errorf("ConfigError.Field = %q, want request_id", ce.Field)
	}
}

func TestLoadConfigEmptyFile(t *testing.T) {
	path := writeConfigFile(t, "# nothing set\n")
	cfg, err := mockplatform.LoadConfig(path)
	if err != nil {
		t.Fatalf("LoadConfig(comment-only file): %v", err)
	}
	if diff := cmp.Diff(mockplatform.Config{}, cfg); diff != "" {
		t.Errorf("LoadConfig(comment-only file) mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		line  int
		field string
		// want are substrings of the error message.
		want []string
	}{
		{
			name:  "unknown key",
			yaml:  "addr: 127.0.0.1:8080\nadress: 127.0.0.1:9090\n",
			line:  2,
			field: "adress",
			want:  []string{`unknown key "adress"`, "valid keys at the top level are addr, seed, clock"},
		},
		{
			name:  "unknown key in subscription",
			yaml:  "subscriptions:\n  - url: http://127.0.0.1:9000/\n    hedaers: {}\n",
			line:  3,
			field: "subscriptions[0].hedaers",
			want:  []string{`unknown key "hedaers"`, "of a subscriptions entry are id, name, url, headers, topics"},
		},
		{
			name:  "unknown topic",
			yaml:  "subscriptions:\n  - url: http://127.0.0.1:9000/\n    topics:\n      - document-received\n      - document-recieved\n",
			line:  5,
			field: "subscriptions[0].topics[1]",
			want:  []string{`unknown topic "document-recieved"`, "valid topics are document-received, preprocessing-done", "processing-failed"},
		},
		{
			name:  "bad url scheme",
			yaml:  "subscriptions:\n  - id: hooks\n    url: ftp://127.0.0.1/hooks\n",
			line:  3,
			field: "subscriptions[0].url",
			want:  []string{`url "ftp://127.0.0.1/hooks" is invalid`, "http"},
		},
		{
			name:  "missing url",
			yaml:  "subscriptions:\n  - id: hooks\n",
			line:  2,
			field: "subscriptions[0].url",
			want:  []string{"url is missing"},
		},
		{
			name:  "bad header name",
			yaml:  "subscriptions:\n  - url: http://127.0.0.1:9000/\n    headers:\n      X-Fine: a\n      Bad Header: b\n",
			line:  5,
			field: "subscriptions[0].headers.Bad Header",
			want:  []string{`header name "Bad Header" is invalid`},
		},
		{
			name:  "duplicate subscription id",
			yaml:  "subscriptions:\n  - id: a\n    url: http://127.0.0.1:9000/\n  - id: a\n    url: http://127.0.0.1:9001/\n",
			line:  4,
			field: "subscriptions[1].id",
			want:  []string{`subscription id "a" is already used by subscriptions[0]`},
		},
		{
			name:  "duration without unit",
			yaml:  "attempt_timeout: 10\n",
			line:  1,
			field: "attempt_timeout",
			want:  []string{`"10" is not valid here`, `such as "500ms", "10s"`},
		},
		{
			name:  "bad duration in profile",
			yaml:  "profiles:\n  - name: slow\n    step_duration: 2 seconds\n",
			line:  3,
			field: "profiles[0].step_duration",
			want:  []string{`"2 seconds" is not valid here`, "a duration with a unit"},
		},
		{
			name:  "negative duration in profile",
			yaml:  "profiles:\n  - name: slow\n    manual_duration: -1s\n",
			line:  3,
			field: "profiles[0].manual_duration",
			want:  []string{"manual_duration -1s is negative"},
		},
		{
			name:  "unknown level",
			yaml:  "profiles:\n  - name: slow\n    extraction:\n      - first\n      - fourth\n",
			line:  5,
			field: "profiles[0].extraction[1]",
			want:  []string{`unknown manual level "fourth"`, "first, second, third, qc"},
		},
		{
			name:  "repeated level",
			yaml:  "profiles:\n  - name: slow\n    separation: [qc, first, qc]\n",
			line:  3,
			field: "profiles[0].separation[2]",
			want:  []string{`level "qc" is listed twice`},
		},
		{
			name:  "unknown fail stage",
			yaml:  "profiles:\n  - name: broken\n    fail_at: ocr\n",
			line:  3,
			field: "profiles[0].fail_at",
			want:  []string{`unknown stage "ocr"`},
		},
		{
			name:  "bad profile name",
			yaml:  "profiles:\n  - name: has space\n",
			line:  2,
			field: "profiles[0].name",
			want:  []string{`profile name "has space" is invalid`},
		},
		{
			name:  "undefined default profile",
			yaml:  "default_profile: fast-lane\n",
			line:  1,
			field: "default_profile",
			want:  []string{`profile "fast-lane" is not defined`, "manual-all", "straight-through"},
		},
		{
			name:  "bad clock",
			yaml:  "seed: 1\nclock: fast\n",
			line:  2,
			field: "clock",
			want:  []string{`clock "fast" is invalid`, `"real", "scaled" or "manual"`},
		},
		{
			name:  "scaled clock without time scale",
			yaml:  "clock: scaled\n",
			line:  1,
			field: "clock",
			want:  []string{"needs time_scale"},
		},
		{
			name:  "time scale with real clock",
			yaml:  "clock: real\ntime_scale: 10\n",
			line:  2,
			field: "time_scale",
			want:  []string{`time_scale 10 needs clock "scaled"`},
		},
		{
			name:  "time scale with manual clock",
			yaml:  "clock: manual\ntime_scale: 10\n",
			line:  2,
			field: "time_scale",
			want:  []string{"no effect with clock \"manual\""},
		},
		{
			name:  "negative time scale",
			yaml:  "time_scale: -3\n",
			line:  1,
			field: "time_scale",
			want:  []string{"time_scale -3 is invalid"},
		},
		{
			name:  "zero time scale",
			yaml:  "time_scale: 0\n",
			line:  1,
			field: "time_scale",
			want:  []string{"time_scale 0 is invalid"},
		},
		{
			name:  "negative tenant",
			yaml:  "tokens:\n  - token: t1\n    tenant: -4\n",
			line:  3,
			field: "tokens[0].tenant",
			want:  []string{"tenant -4 is invalid", "positive"},
		},
		{
			name:  "empty token",
			yaml:  "tokens:\n  - tenant: 2\n",
			line:  2,
			field: "tokens[0].token",
			want:  []string{"token is missing or empty"},
		},
		{
			name:  "repeated token",
			yaml:  "tokens:\n  - {token: same, tenant: 1}\n  - {token: same, tenant: 2}\n",
			line:  3,
			field: "tokens[1].token",
			want:  []string{"repeats the token of tokens[0]"},
		},
		{
			name:  "bad request id mode",
			yaml:  "request_id: random\n",
			line:  1,
			field: "request_id",
			want:  []string{`request_id "random" is invalid`, `"per-event"`, `"per-attempt"`},
		},
		{
			name:  "negative journal limit",
			yaml:  "journal_limit: -1\n",
			line:  1,
			field: "journal_limit",
			want:  []string{"journal_limit -1 is negative"},
		},
		{
			name:  "bad addr",
			yaml:  "addr: localhost\n",
			line:  1,
			field: "addr",
			want:  []string{`address "localhost" is invalid`, "host:port"},
		},
		{
			name:  "seed not a number",
			yaml:  "seed: forty-two\n",
			line:  1,
			field: "seed",
			want:  []string{`"forty-two" is not valid here`, "a whole number"},
		},
		{
			name: "list where a mapping belongs",
			yaml: "- addr: 127.0.0.1:8080\n",
			line: 1,
			want: []string{"this value is not valid here", "a mapping"},
		},
		{
			name: "repeated key",
			yaml: "seed: 1\nseed: 2\n",
			line: 2,
			want: []string{`key "seed" is repeated (first at line 1)`},
		},
		{
			name: "malformed yaml",
			yaml: "seed: 1\naddr: 127.0.0.1:8080\n  clock: real\n",
			line: 3,
			want: []string{"invalid YAML at or after this line", "mapping values are not allowed"},
		},
		{
			name: "tab indentation",
			yaml: "seed: 1\n\taddr: 127.0.0.1:8080\n",
			line: 2,
			want: []string{"invalid YAML", "tab character"},
		},
		{
			name: "unclosed flow list",
			yaml: "seed: 1\nsubscriptions: [\n",
			line: 2,
			want: []string{"invalid YAML"},
		},
		{
			name: "second document",
			yaml: "seed: 1\n---\nseed: 2\n",
			line: 2,
			want: []string{"second YAML document"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfigFile(t, tt.yaml)
			_, err := mockplatform.LoadConfig(path)
			if err == nil {
				t.Fatalf("LoadConfig(%q): got nil error", tt.yaml)
			}
			msg := err.Error()
			if prefix := fmt.Sprintf("%s:%d: ", path, tt.line); !strings.HasPrefix(msg, prefix) {
				t.Errorf("LoadConfig error = %q, want prefix %q", msg, prefix)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("LoadConfig error = %q, want it to contain %q", msg, w)
				}
			}
			var ce *mockplatform.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("LoadConfig error %T is not a *ConfigError", err)
			}
			if ce.File != path {
				t.Errorf("ConfigError.File = %q, want %q", ce.File, path)
			}
			if ce.Line != tt.line {
				t.Errorf("ConfigError.Line = %d, want %d", ce.Line, tt.line)
			}
			if ce.Field != tt.field {
				t.Errorf("ConfigError.Field = %q, want %q", ce.Field, tt.field)
			}
		})
	}
}

func TestLoadConfigTypeErrorsAll(t *testing.T) {
	path := writeConfigFile(t, "seed: x\nbogus: 1\nattempt_timeout: 3\n")
	_, err := mockplatform.LoadConfig(path)
	if err == nil {
		t.Fatal("LoadConfig: got nil error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Fatalf("LoadConfig error has %d lines, want one per problem (3):\n%s", len(lines), err)
	}
	for i, line := range lines {
		if prefix := fmt.Sprintf("%s:%d: ", path, i+1); !strings.HasPrefix(line, prefix) {
			t.Errorf("error line %d = %q, want prefix %q", i+1, line, prefix)
		}
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := mockplatform.LoadConfig(path)
	if err == nil {
		t.Fatal("LoadConfig(missing file): got nil error")
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadConfig(missing file) error = %v, want one matching os.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("LoadConfig(missing file) error = %q, want it to name %s", err, path)
	}
}

// writeConfigFile writes content to config.yaml in a temporary
// directory and returns its path.
func writeConfigFile(tb testing.TB, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func ExampleLoadConfig() {
	cfg, err := mockplatform.LoadConfig("../testdata/config/full.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("clock:", cfg.ClockKind(), "x", cfg.TimeScale)
	for _, s := range cfg.Subscriptions {
		fmt.Println("webhook:", s.URL, s.Topics)
	}

	opts, err := cfg.Options()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("tenants:", len(opts.Tokens))
	// Output:
	// clock: scaled x 60
	// webhook: http://127.0.0.1:9000/webhooks [document-received processing-finished processing-failed]
	// webhook: http://127.0.0.1:9001/all-topics []
	// tenants: 2
}

func TestLoadConfigAliasLoops(t *testing.T) {
	// Each file makes a naive walk of its aliases loop forever or grow
	// exponentially; loading must end with an error naming the line.
	nested := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		nested += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = name
	}
	tests := map[string]string{
		"unknown key":    "bogus: &x [*x]\n",
		"wrong type":     "seed: &x [*x]\n",
		"nested anchors": "unknown:\n" + indent(nested),
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := mockplatform.LoadConfig(writeConfigFile(t, content))
			if err == nil || !strings.Contains(err.Error(), ":1:") && !strings.Contains(err.Error(), ":2:") {
				t.Errorf("LoadConfig: error %v, want one naming a line", err)
			}
		})
	}
}

func indent(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}
