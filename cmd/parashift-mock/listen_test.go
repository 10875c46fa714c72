package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// listenURLPattern finds the receiver's URL in listen's start line.
const listenURLPattern = `listening on (http://127\.0\.0\.1:\d+)`

const samplePayload = `{
  "id": "100001",
  "type": "documents",
  "attributes": {"status": "pending", "tenant_id": 1, "document_id": 100001},
  "request_id": "ef083852541ff078340a516432aee2f4",
  "topic": "document-received"
}`

// startListen runs listen with args on a random loopback port and
// returns its URL and output buffers.
func startListen(tb testing.TB, args ...string) (url string, stdout, stderr *syncBuffer, cmd *runningCommand) {
	tb.Helper()
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	args = append([]string{"--addr", "127.0.0.1:0"}, args...)
	cmd = startCommand(tb, func(ctx context.Context) error { return runListen(ctx, args, stdout, stderr) })
	url = waitForMatch(tb, stderr, listenURLPattern, cmd)
	return url, stdout, stderr, cmd
}

// postWebhook POSTs body to url with the given headers, as "Name",
// "value" pairs, and returns the status code.
func postWebhook(tb testing.TB, url, body string, headers ...string) int {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestListenPrintsWebhook(t *testing.T) {
	url, stdout, _, cmd := startListen(t)
	if got := postWebhook(t, url+"/any/path", samplePayload); got != http.StatusNoContent {
		t.Errorf("POST webhook: status %d, want 204", got)
	}
	line := waitForMatch(t, stdout, `.*document-received.*`, cmd)
	for _, want := range []string{"document=100001", "status=pending", "request_id=ef083852541ff078340a516432aee2f4", "-> 204"} {
		if !strings.Contains(line, want) {
			t.Errorf("printed line %q lacks %q", line, want)
		}
	}
	if err := cmd.stop(t); err != nil {
		t.Errorf("runListen after cancel: %v", err)
	}
}

func TestListenPrintsStop(t *testing.T) {
	url, _, stderr, cmd := startListen(t)
	if err := cmd.stop(t); err != nil {
		t.Fatalf("runListen after cancel: %v", err)
	}
	if want := "stopped listening on " + url + "\n"; !strings.HasSuffix(stderr.String(), want) {
		t.Errorf("stderr after stop = %q, want it to end with %q", stderr.String(), want)
	}
}

func TestListenAddressInUse(t *testing.T) {
	addr := occupyPort(t)
	var stdout, stderr syncBuffer
	err := runListen(context.Background(), []string{"--addr", addr}, &stdout, &stderr)
	if err == nil {
		t.Fatalf("runListen on the taken address %s: got nil error", addr)
	}
	for _, want := range []string{"listen on " + addr, "address already in use", "choose another address with --addr"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("runListen error = %q, want it to contain %q", err, want)
		}
	}
}

func TestListenRequireHeader(t *testing.T) {
	url, stdout, _, cmd := startListen(t, "--require-header", "Authorization: Bearer hook-secret")
	if got := postWebhook(t, url, samplePayload); got != http.StatusUnauthorized {
		t.Errorf("POST without the header: status %d, want 401", got)
	}
	if got := postWebhook(t, url, samplePayload, "Authorization", "Bearer wrong"); got != http.StatusUnauthorized {
		t.Errorf("POST with a wrong header value: status %d, want 401", got)
	}
	if got := postWebhook(t, url, samplePayload, "Authorization", "Bearer hook-secret"); got != http.StatusNoContent {
		t.Errorf("POST with the header: status %d, want 204", got)
	}
	waitForMatch(t, stdout, `-> 204`, cmd)
	if n := strings.Count(stdout.String(), "-> 401"); n != 2 {
		t.Errorf("printed %d lines with -> 401, want 2:\n%s", n, stdout.String())
	}
}

func TestListenInvalidJSON(t *testing.T) {
	url, stdout, _, cmd := startListen(t, "--status", "202")
	if got := postWebhook(t, url, `{"topic": "document-rec`); got != http.StatusAccepted {
		t.Errorf("POST invalid JSON: status %d, want the --status 202", got)
	}
	line := waitForMatch(t, stdout, `.*invalid JSON body.*`, cmd)
	if !strings.Contains(line, `"{\"topic\": \"document-rec"`) || !strings.Contains(line, "-> 202") {
		t.Errorf("printed line %q, want the quoted body and -> 202", line)
	}

	// The receiver still works after an invalid body.
	if got := postWebhook(t, url, samplePayload); got != http.StatusAccepted {
		t.Errorf("POST after invalid JSON: status %d, want 202", got)
	}
	waitForMatch(t, stdout, `document-received`, cmd)
}

func TestListenJSONLines(t *testing.T) {
	url, stdout, stderr, cmd := startListen(t, "--json")
	postWebhook(t, url, samplePayload)
	postWebhook(t, url, "not json")
	line := waitForMatch(t, stdout, `(?m)^\{.*\}$`, cmd)
	want := `{"id":"100001","type":"documents","attributes":{"status":"pending","tenant_id":1,"document_id":100001},"request_id":"ef083852541ff078340a516432aee2f4","topic":"document-received"}`
	if line != want {
		t.Errorf("JSON line = %s\nwant %s", line, want)
	}
	waitForMatch(t, stderr, `invalid JSON body`, cmd)
	if strings.Contains(stdout.String(), "not json") {
		t.Errorf("stdout has the invalid body, want only JSON lines:\n%s", stdout.String())
	}
}

func TestListenRejectsGet(t *testing.T) {
	url, _, stderr, cmd := startListen(t)
	resp, err := http.Get(url + "/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}
	waitForMatch(t, stderr, `GET /webhooks rejected`, cmd)
}

func TestListenFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"status out of range", []string{"--status", "42"}, `invalid value "42" for flag --status`},
		{"status not a number", []string{"--status", "ok"}, `invalid value "ok" for flag --status`},
		{"header without colon", []string{"--require-header", "Authorization"}, "flag --require-header"},
		{"informational status", []string{"--status", "100"}, `invalid value "100" for flag --status: use an HTTP status code from 200 to 599`},
		{"header without value", []string{"--require-header", "X-Token:"}, `header "X-Token" has an empty value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			err := runListen(context.Background(), tt.args, &stdout, &stderr)
			assertUsageError(t, err, tt.want)
		})
	}
}
