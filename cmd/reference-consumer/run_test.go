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

// syncBuffer is a bytes.Buffer safe for the logger and the test.
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

func TestRunServesUntilCancelled(t *testing.T) {
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := envOf(map[string]string{"CONSUMER_TOKEN": "api-token-value", "CONSUMER_WEBHOOK_SECRET": "hook-secret-value"})
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0"}, &bytes.Buffer{}, &stderr, env) }()

	listening := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/webhooks)`)
	deadline := time.Now().Add(30 * time.Second)
	for !listening.MatchString(stderr.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no listening line in the log:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	logs := stderr.String()
	if !strings.Contains(logs, "consumer stopped") {
		t.Errorf("log has no stop line:\n%s", logs)
	}
	for _, secret := range []string{"api-token-value", "hook-secret-value"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains a secret:\n%s", logs)
		}
	}
}

func TestRunRejectsMissingToken(t *testing.T) {
	err := run(context.Background(), []string{"--webhook-secret", "x"}, &bytes.Buffer{}, &bytes.Buffer{}, envOf(nil))
	if !errors.As(err, new(*usageError)) || !strings.Contains(err.Error(), "--token") {
		t.Errorf("error = %v, want a usage error naming --token", err)
	}
}
