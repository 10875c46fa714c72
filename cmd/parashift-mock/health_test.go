package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// startServe runs serve on a free loopback port and returns its base
// URL. The test's cleanup stops it.
func startServe(t *testing.T) string {
	t.Helper()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd := startCommand(t, func(ctx context.Context) error {
		return runServe(ctx, []string{"--addr", "127.0.0.1:0", "--log-level", "warn"}, stdout, stderr)
	})
	return waitForMatch(t, stdout, readyURLPattern, cmd)
}

// closedPortURL returns a loopback URL on a port that was free a moment
// ago and has no listener now.
func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/_mock/health"
}

func TestHealthPlatformUp(t *testing.T) {
	url := startServe(t) + "/_mock/health"
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"health", "--url", url}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("health --url %s: %v", url, err)
	}
	if code := exitCode(err, &stderr); code != exitOK {
		t.Errorf("exit status %d, want %d", code, exitOK)
	}
	if want := "healthy: GET " + url + " returned 200 OK"; !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout = %q, want it to contain %q", stdout.String(), want)
	}
}

func TestHealthClosedPort(t *testing.T) {
	url := closedPortURL(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"health", "--url", url, "--timeout", "2s"}, &stdout, &stderr)
	if err == nil {
		t.Fatalf("health --url %s with no listener: got nil error", url)
	}
	if code := exitCode(err, &stderr); code != exitFailure {
		t.Errorf("exit status %d, want %d", code, exitFailure)
	}
	msg := stderr.String()
	for _, want := range []string{"health check of " + url + " failed", "connection refused", "--url"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr = %q, want it to contain %q", msg, want)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want it empty", stdout.String())
	}
}

func TestHealthWrongPath(t *testing.T) {
	url := startServe(t) + "/_mock/no-such-endpoint"
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"health", "--url", url}, &stdout, &stderr)
	if err == nil {
		t.Fatalf("health --url %s: got nil error, want one for the 404", url)
	}
	if code := exitCode(err, &stderr); code != exitFailure {
		t.Errorf("exit status %d, want %d", code, exitFailure)
	}
	for _, want := range []string{url, "status 404 Not Found with body", "want 200 OK", "/_mock/health endpoint"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}
}

func TestHealthNoResponseTimesOut(t *testing.T) {
	// The kernel completes the TCP handshake of a listener that never
	// calls Accept, so the request is sent and no response comes.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	url := "http://" + ln.Addr().String() + "/_mock/health"

	var stdout, stderr bytes.Buffer
	start := time.Now()
	err = run(context.Background(), []string{"health", "--url", url, "--timeout", "200ms"}, &stdout, &stderr)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatalf("health --url %s against a listener that never responds: got nil error", url)
	}
	for _, want := range []string{url, "no complete response within 200ms", "--timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}
	if elapsed > 5*time.Second {
		t.Errorf("health took %s with --timeout 200ms", elapsed)
	}
}

func TestHealthCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"health", "--url", closedPortURL(t)}, &stdout, &stderr)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("health with a cancelled context: error %v, want context.Canceled", err)
	}
}

func TestHealthFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"url without scheme", []string{"--url", "127.0.0.1:8080/_mock/health"}, `invalid value "127.0.0.1:8080/_mock/health" for flag --url: use an absolute http or https URL`},
		{"url with other scheme", []string{"--url", "ftp://127.0.0.1/_mock/health"}, `invalid value "ftp://127.0.0.1/_mock/health" for flag --url`},
		{"url without host", []string{"--url", "http:///_mock/health"}, `invalid value "http:///_mock/health" for flag --url`},
		{"zero timeout", []string{"--timeout", "0s"}, `invalid value "0s" for flag --timeout: use a positive duration`},
		{"timeout without unit", []string{"--timeout", "5"}, `invalid value "5" for flag --timeout: use a duration with a unit`},
		{"extra argument", []string{"http://127.0.0.1:8080/_mock/health"}, `unexpected argument "http://127.0.0.1:8080/_mock/health": health takes flags only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"health"}, tt.args...), &stdout, &stderr)
			if code := exitCode(err, &stderr); code != exitUsage {
				t.Errorf("health %q: exit status %d, want %d", tt.args, code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("health %q: stderr = %q, want it to contain %q", tt.args, stderr.String(), tt.want)
			}
		})
	}
}

func TestHealthHelpShowsFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"health", "-h"}, &stdout, &stderr); err != nil {
		t.Fatalf("health -h: %v", err)
	}
	for _, want := range []string{"--url URL", "(default " + defaultHealthURL + ")", "--timeout duration", "(default 5s)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("health -h output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestHealthMasksPassword(t *testing.T) {
	base := startServe(t)
	withUser := strings.Replace(base, "http://", "http://admin:s3cret@", 1) + "/_mock/health"
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"health", "--url", withUser}, &stdout, &stderr); err != nil {
		t.Fatalf("health: %v", err)
	}
	if strings.Contains(stdout.String(), "s3cret") {
		t.Errorf("stdout shows the password: %q", stdout.String())
	}

	closed := strings.Replace(closedPortURL(t), "http://", "http://admin:s3cret@", 1)
	err := run(context.Background(), []string{"health", "--url", closed, "--timeout", "2s"}, &stdout, &stderr)
	exitCode(err, &stderr)
	if strings.Contains(stderr.String(), "s3cret") {
		t.Errorf("stderr shows the password: %q", stderr.String())
	}
}
