package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// readyURLPattern finds the base URL in serve's ready block.
const readyURLPattern = `base URL:\s+(http://127\.0\.0\.1:\d+)`

func TestServeAnswersAndStops(t *testing.T) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd := startCommand(t, func(ctx context.Context) error {
		return runServe(ctx, []string{"--addr", "127.0.0.1:0", "--log-format", "json"}, stdout, stderr)
	})
	base := waitForMatch(t, stdout, readyURLPattern, cmd)

	if got := getStatus(t, base+"/v2/documents", mockplatform.DefaultToken); got != http.StatusOK {
		t.Errorf("GET /v2/documents with the default token: status %d, want 200", got)
	}
	if got := getStatus(t, base+"/v2/documents", "wrong-token"); got != http.StatusUnauthorized {
		t.Errorf("GET /v2/documents with a wrong token: status %d, want 401", got)
	}

	ready := stdout.String()
	for _, want := range []string{base + "/v2", base + "/_mock", "token:        " + mockplatform.DefaultToken} {
		if !strings.Contains(ready, want) {
			t.Errorf("ready block lacks %q:\n%s", want, ready)
		}
	}

	if err := cmd.stop(t); err != nil {
		t.Fatalf("runServe after cancel: %v", err)
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"serve starting"`, `"msg":"serve stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestServeHidesUserSecrets(t *testing.T) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	args := []string{
		"--addr", "127.0.0.1:0",
		"--token", "user-secret-token=7",
		"--webhook", "http://127.0.0.1:1/hooks",
		"--webhook-header", "Authorization: Bearer header-secret",
		"--webhook-topics", "document-received,processing-finished",
		"--log-level", "debug",
	}
	cmd := startCommand(t, func(ctx context.Context) error { return runServe(ctx, args, stdout, stderr) })
	base := waitForMatch(t, stdout, readyURLPattern, cmd)

	if got := getStatus(t, base+"/v2/documents", "user-secret-token"); got != http.StatusOK {
		t.Errorf("GET /v2/documents with the --token token: status %d, want 200", got)
	}
	if got := getStatus(t, base+"/v2/documents", mockplatform.DefaultToken); got != http.StatusUnauthorized {
		t.Errorf("GET /v2/documents with the default token after --token: status %d, want 401", got)
	}
	if err := cmd.stop(t); err != nil {
		t.Fatalf("runServe after cancel: %v", err)
	}

	ready := stdout.String()
	for _, want := range []string{"tenants:      7", "token:        (from --token/config)", "document-received, processing-finished"} {
		if !strings.Contains(ready, want) {
			t.Errorf("ready block lacks %q:\n%s", want, ready)
		}
	}
	for _, secret := range []string{"user-secret-token", "header-secret", mockplatform.DefaultToken} {
		if strings.Contains(ready, secret) {
			t.Errorf("ready block shows the secret %q:\n%s", secret, ready)
		}
		if strings.Contains(stderr.String(), secret) {
			t.Errorf("logs show the secret %q:\n%s", secret, stderr.String())
		}
	}
}

func TestServeConfigFile(t *testing.T) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	args := []string{"--config", "../../testdata/config/full.yaml", "--addr", "127.0.0.1:0", "--time-scale", "5"}
	cmd := startCommand(t, func(ctx context.Context) error { return runServe(ctx, args, stdout, stderr) })
	base := waitForMatch(t, stdout, readyURLPattern, cmd)

	if got := getStatus(t, base+"/v2/documents", "tenant-two-token"); got != http.StatusOK {
		t.Errorf("GET /v2/documents with a token from the file: status %d, want 200", got)
	}
	if err := cmd.stop(t); err != nil {
		t.Fatalf("runServe after cancel: %v", err)
	}
	ready := stdout.String()
	for _, want := range []string{"tenants:      1, 2", "scaled, 5 times faster", "orders http://127.0.0.1:9000/webhooks"} {
		if !strings.Contains(ready, want) {
			t.Errorf("ready block lacks %q:\n%s", want, ready)
		}
	}
}

func TestServeChaosConfigLoadsRules(t *testing.T) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	args := []string{"--config", "../../testdata/config/chaos.yaml", "--addr", "127.0.0.1:0"}
	cmd := startCommand(t, func(ctx context.Context) error { return runServe(ctx, args, stdout, stderr) })
	base := waitForMatch(t, stdout, readyURLPattern, cmd)

	resp, err := http.Get(base + "/_mock/rules")
	if err != nil {
		t.Fatalf("GET /_mock/rules: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Rules []struct {
			Rule mockplatform.Rule `json:"rule"`
		} `json:"rules"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode GET /_mock/rules: %v", err)
	}
	webhook, api := 0, 0
	for _, r := range body.Rules {
		if r.Rule.Fault.Webhook() {
			webhook++
		} else {
			api++
		}
	}
	if webhook != 9 {
		t.Errorf("chaos.yaml loaded %d webhook rules, want 9", webhook)
	}
	if api != 4 {
		t.Errorf("chaos.yaml loaded %d REST API rules, want 4", api)
	}
	if err := cmd.stop(t); err != nil {
		t.Fatalf("runServe after cancel: %v", err)
	}
}

func TestServeConfigFileErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("addr: 127.0.0.1:0\nclock: fast\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr syncBuffer
	err := runServe(context.Background(), []string{"--config", path}, &stdout, &stderr)
	if err == nil {
		t.Fatal("runServe with an invalid config file: got nil error")
	}
	if want := path + ":2: clock:"; !strings.Contains(err.Error(), want) {
		t.Errorf("runServe error = %q, want it to contain %q", err, want)
	}
	var ue *usageError
	if errors.As(err, &ue) {
		t.Errorf("runServe error is a usage error, want a failure (exit status 1) for an invalid file")
	}

	err = runServe(context.Background(), []string{"--config", filepath.Join(t.TempDir(), "absent.yaml")}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "absent.yaml: read config file") {
		t.Errorf("runServe with a missing config file: error %v, want one naming the file", err)
	}
}

func TestServeFlagErrors(t *testing.T) {
	const hook = "http://127.0.0.1:9000/webhooks"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"token without equals", []string{"--token", "abc"}, "flag --token: it has no '='"},
		{"token with bad tenant", []string{"--token", "abc=x1"}, `invalid value "[masked]=x1" for flag --token: tenant "x1" is not a positive integer`},
		{"token with negative tenant", []string{"--token", "abc=-2"}, `tenant "-2" is not a positive integer`},
		{"webhook with bad scheme", []string{"--webhook", "ftp://127.0.0.1/hooks"}, `invalid value for flag --webhook: url "ftp://127.0.0.1/hooks" is invalid`},
		{"webhook without host", []string{"--webhook", "/hooks"}, `invalid value for flag --webhook: url "/hooks" is invalid`},
		{"webhook password masked", []string{"--webhook", "ftp://admin:TOPSECRETPW@127.0.0.1/x"}, `url "ftp://admin:xxxxx@127.0.0.1/x" is invalid`},
		{"unknown topic", []string{"--webhook", hook, "--webhook-topics", "document-received,document-recieved"}, `invalid value "document-received,document-recieved" for flag --webhook-topics: unknown topic "document-recieved": valid topics are document-received`},
		{"bad header name", []string{"--webhook", hook, "--webhook-header", "Bad Name: s3cr3t"}, `header "Bad Name"`},
		{"header without name", []string{"--webhook", hook, "--webhook-header", "no colon"}, `flag --webhook-header: it has no "Name:" part`},
		{"header without webhook", []string{"--webhook-header", "Authorization: x"}, "flag --webhook-header applies to each --webhook"},
		{"topics without webhook", []string{"--webhook-topics", "document-received"}, "flag --webhook-topics applies to each --webhook"},
		{"time scale not a number", []string{"--time-scale", "fast"}, `invalid value "fast" for flag --time-scale`},
		{"time scale negative", []string{"--time-scale", "-2"}, `invalid value "-2" for flag --time-scale`},
		{"time scale infinite", []string{"--time-scale", "+Inf"}, `invalid value "+Inf" for flag --time-scale`},
		{"unknown clock", []string{"--clock", "fast"}, `invalid value "fast" for flag --clock`},
		{"real clock with time scale", []string{"--clock", "real", "--time-scale", "10"}, "flag --time-scale 10 needs --clock scaled"},
		{"scaled clock without time scale", []string{"--clock", "scaled"}, "flag --clock scaled needs --time-scale"},
		{"unknown log format", []string{"--log-format", "xml"}, `invalid value "xml" for flag --log-format: use text or json`},
		{"unknown log level", []string{"--log-level", "loud"}, `invalid value "loud" for flag --log-level`},
		{"unknown request id mode", []string{"--request-id", "sometimes"}, `invalid value "sometimes" for flag --request-id`},
		{"negative attempt timeout", []string{"--attempt-timeout", "-1s"}, `invalid value "-1s" for flag --attempt-timeout`},
		{"attempt timeout without unit", []string{"--attempt-timeout", "10"}, `invalid value "10" for flag --attempt-timeout: use a duration with a unit, such as "500ms", "10s"`},
		{"attempt timeout not a duration", []string{"--attempt-timeout", "soon"}, `invalid value "soon" for flag --attempt-timeout: use a duration with a unit`},
		{"zero max body", []string{"--max-body-bytes", "0"}, `invalid value "0" for flag --max-body-bytes`},
		{"negative journal limit", []string{"--journal-limit", "-5"}, `invalid value "-5" for flag --journal-limit`},
		{"undefined default profile", []string{"--default-profile", "fast-lane"}, `flag --default-profile: profile "fast-lane" is not defined`},
		{"bad addr", []string{"--addr", "localhost"}, `flag --addr: address "localhost" is invalid`},
		{"seed not a number", []string{"--seed", "x"}, `invalid value "x" for flag --seed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			err := runServe(context.Background(), tt.args, &stdout, &stderr)
			assertUsageError(t, err, tt.want)
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("usage error %q shows a header value", err)
			}
			if stdout.String() != "" {
				t.Errorf("runServe printed %q to stdout before failing", stdout.String())
			}
		})
	}
}

func TestServeAddressInUse(t *testing.T) {
	addr := occupyPort(t)
	var stdout, stderr syncBuffer
	err := runServe(context.Background(), []string{"--addr", addr}, &stdout, &stderr)
	if err == nil {
		t.Fatalf("runServe on the taken address %s: got nil error", addr)
	}
	var ue *usageError
	if errors.As(err, &ue) {
		t.Errorf("runServe error is a usage error, want a failure (exit status 1) for a taken address")
	}
	for _, want := range []string{"address already in use", "choose another address with --addr"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("runServe error = %q, want it to contain %q", err, want)
		}
	}
}

// occupyPort listens on a free loopback port until the test ends and
// returns its address.
func occupyPort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func TestServeTokenErrorHidesToken(t *testing.T) {
	var stdout, stderr syncBuffer
	err := runServe(context.Background(), []string{"--token", "very-secret-value"}, &stdout, &stderr)
	assertUsageError(t, err, "--token")
	if strings.Contains(err.Error(), "very-secret-value") {
		t.Errorf("usage error %q shows the token", err)
	}
}

// getStatus sends GET url with the bearer token and returns the status
// code.
func getStatus(tb testing.TB, url, token string) int {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"":               true,
		"127.0.0.1:8080": true,
		"localhost:8080": true,
		"[::1]:8080":     true,
		"0.0.0.0:8080":   false,
		"[::]:8080":      false,
		"10.0.0.5:8080":  false,
		"mock:8080":      false,
	} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}
