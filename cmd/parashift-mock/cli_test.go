package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCLIExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantCode   int
		wantStderr string
	}{
		{"success", nil, exitOK, ""},
		{"failure", errors.New("start platform: address in use"), exitFailure, "parashift-mock: start platform: address in use\n"},
		{"usage", usagef("serve", "invalid value \"x\" for flag --clock"), exitUsage,
			"parashift-mock serve: invalid value \"x\" for flag --clock\nRun 'parashift-mock help serve' for usage.\n"},
		{"top-level usage", usagef("", "missing command"), exitUsage,
			"parashift-mock: missing command\nRun 'parashift-mock help' for usage.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := exitCode(tt.err, &stderr); got != tt.wantCode {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.wantCode)
			}
			if stderr.String() != tt.wantStderr {
				t.Errorf("exitCode(%v) printed %q, want %q", tt.err, stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestCLICommandErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "missing command"},
		{"unknown command", []string{"srve"}, `unknown command "srve"`},
		{"help of unknown command", []string{"help", "srve"}, `unknown command "srve"`},
		{"version with argument", []string{"version", "x"}, `unexpected argument "x"`},
		{"unknown flag", []string{"serve", "--nosuch"}, "flag provided but not defined: --nosuch"},
		{"positional argument", []string{"listen", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			assertUsageError(t, err, tt.want)
		})
	}
}

func TestCLIHelpListsCommands(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"help"}, &stdout, &stderr); err != nil {
		t.Fatalf("help: %v", err)
	}
	for _, c := range commands() {
		line := regexp.MustCompile(`(?m)^  ` + c.name + ` +\S`)
		if !line.MatchString(stdout.String()) {
			t.Errorf("help output has no line for %s:\n%s", c.name, stdout.String())
		}
	}
}

func TestCLICommandHelpShowsFlags(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"help", "serve"}, []string{"--addr address", "(default 127.0.0.1:8080)", "--time-scale factor", "--attempt-timeout duration", "--max-body-bytes bytes", "--token TOKEN=TENANT", "--log-format format"}},
		{[]string{"serve", "-h"}, []string{"--webhook URL", "--webhook-topics topics"}},
		{[]string{"listen", "--help"}, []string{"--status status", "(default 204)", "--json"}},
		{[]string{"help", "demo"}, []string{"--time-scale factor", "(default 1000)", "--timeout duration", "(default 1m0s)"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), tt.args, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q): %v", tt.args, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("run(%q) output lacks %q:\n%s", tt.args, w, stdout.String())
				}
			}
		})
	}
}

func TestCLIVersionHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		t.Run(arg, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), []string{"version", arg}, &stdout, &stderr); err != nil {
				t.Fatalf("version %s: %v", arg, err)
			}
			if want := "Usage:\n  parashift-mock version\n"; !strings.Contains(stdout.String(), want) {
				t.Errorf("version %s printed %q, want the help with %q", arg, stdout.String(), want)
			}
		})
	}
}

func TestCLIVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &stdout, &stderr); err != nil {
		t.Fatalf("version: %v", err)
	}
	if !strings.HasPrefix(stdout.String(), "parashift-mock ") {
		t.Errorf("version printed %q, want it to start with \"parashift-mock \"", stdout.String())
	}
}

// assertUsageError fails tb unless err is a *usageError whose message
// contains want.
func assertUsageError(tb testing.TB, err error, want string) {
	tb.Helper()
	var ue *usageError
	if !errors.As(err, &ue) {
		tb.Fatalf("error = %v (%T), want a *usageError", err, err)
	}
	if !strings.Contains(ue.Error(), want) {
		tb.Errorf("usage error = %q, want it to contain %q", ue.Error(), want)
	}
}

// syncBuffer is a bytes.Buffer that a command writes to from its
// goroutines while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runningCommand is a command running in its own goroutine.
type runningCommand struct {
	cancel   context.CancelFunc
	finished chan struct{} // closed when the command has returned
	err      error         // valid once finished is closed
}

// startCommand runs fn in its own goroutine with a context that the
// test can cancel; cleanup cancels it and waits for fn to return.
func startCommand(tb testing.TB, fn func(ctx context.Context) error) *runningCommand {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &runningCommand{cancel: cancel, finished: make(chan struct{})}
	go func() {
		defer close(c.finished)
		c.err = fn(ctx)
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-c.finished:
		case <-time.After(20 * time.Second):
			tb.Error("command did not stop within 20s of its context being cancelled")
		}
	})
	return c
}

// stop cancels the command's context and returns its result.
func (c *runningCommand) stop(tb testing.TB) error {
	tb.Helper()
	c.cancel()
	select {
	case <-c.finished:
		return c.err
	case <-time.After(20 * time.Second):
		tb.Fatal("command did not stop within 20s of its context being cancelled")
		return nil
	}
}

// waitForMatch waits until pattern matches the output in buf and
// returns its first submatch, or the whole match when pattern has no
// group. It fails tb when the command ends first or after 10 seconds.
func waitForMatch(tb testing.TB, buf *syncBuffer, pattern string, c *runningCommand) string {
	tb.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.After(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			if len(m) > 1 {
				return m[1]
			}
			return m[0]
		}
		select {
		case <-c.finished:
			tb.Fatalf("command ended before printing %q: %v\noutput:\n%s", pattern, c.err, buf.String())
		case <-deadline:
			tb.Fatalf("no output matched %q after 10s; output:\n%s", pattern, buf.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestHelpOfHelpFlag(t *testing.T) {
	for _, flag := range []string{"-h", "-help", "--help"} {
		var stdout, stderr bytes.Buffer
		if err := runHelp(context.Background(), []string{flag}, &stdout, &stderr); err != nil {
			t.Errorf("help %s: %v, want the program's help", flag, err)
		}
		if !strings.Contains(stdout.String(), "serve") {
			t.Errorf("help %s printed %q, want the list of commands", flag, stdout.String())
		}
	}
}
