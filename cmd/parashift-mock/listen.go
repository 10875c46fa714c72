package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// defaultListenAddr is the listen address of listen without --addr.
const defaultListenAddr = "127.0.0.1:9000"

// maxWebhookBytes bounds a received webhook body. Real payloads are a
// few hundred bytes; a larger body gets 413.
const maxWebhookBytes = 1 << 20

// listenFlags are the flags of listen.
type listenFlags struct {
	addr          string
	status        int
	requireHeader string
	json          bool
}

func newListenFlags() (*flag.FlagSet, *listenFlags) {
	f := &listenFlags{}
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	fs.StringVar(&f.addr, "addr", defaultListenAddr, "listen `address` host:port; port 0 picks a free port")
	fs.IntVar(&f.status, "status", http.StatusNoContent, "HTTP `status` code of the response to every valid webhook")
	fs.StringVar(&f.requireHeader, "require-header", "", "header every webhook must carry, as `\"Name: value\"`;\nwebhooks without it get 401")
	fs.BoolVar(&f.json, "json", false, "print each body as one JSON line on stdout instead of a text line;\ninvalid JSON bodies go to stderr")
	return fs, f
}

func runListen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := newListenFlags()
	if help, err := parseFlags(fs, args, stdout); help || err != nil {
		return err
	}
	// A 1xx status is informational: net/http would follow it with a
	// 200, so the receiver would not send what it prints.
	if f.status < 200 || f.status > 599 {
		return usagef("listen", "invalid value \"%d\" for flag --status: use an HTTP status code from 200 to 599, such as 204", f.status)
	}
	rcv := &receiver{status: f.status, json: f.json, stdout: stdout, stderr: stderr}
	if f.requireHeader != "" {
		name, value, ok := strings.Cut(f.requireHeader, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return usagef("listen", "invalid value for flag --require-header: use \"Name: value\", such as \"Authorization: Bearer hook-secret\" (the value is not shown because it may be a secret)")
		}
		rcv.headerName, rcv.headerValue = name, strings.TrimSpace(value)
		if rcv.headerValue == "" {
			return usagef("listen", "invalid value for flag --require-header: header %q has an empty value, which would let webhooks without the header through: give the value, such as \"Authorization: Bearer hook-secret\"", name)
		}
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, withAddrInUseHint(err))
	}
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "listening on http://%s (any path), responding with status %d; stop with Ctrl+C\n", ln.Addr(), f.status)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve webhooks: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// A client that stalls mid-request would hold the shutdown
		// forever, so its connection is closed.
		fmt.Fprintf(stderr, "closing connections still open after 5s\n")
		srv.Close()
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve webhooks: %w", err)
	}
	fmt.Fprintf(stderr, "stopped listening on http://%s\n", ln.Addr())
	return nil
}

// receiver responds to webhooks and prints one line for each.
type receiver struct {
	status      int
	json        bool
	headerName  string // empty when no header is required
	headerValue string

	mu     sync.Mutex // serializes writes to stdout and stderr
	stdout io.Writer
	stderr io.Writer
}

// webhookBody is the part of a webhook payload that listen prints.
type webhookBody struct {
	Topic      string `json:"topic"`
	RequestID  string `json:"request_id"`
	ID         string `json:"id"`
	Attributes struct {
		Status     string          `json:"status"`
		DocumentID json.RawMessage `json:"document_id"`
	} `json:"attributes"`
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))

	status := rc.status
	switch {
	case r.Method != http.MethodPost:
		status = http.StatusMethodNotAllowed
	case readErr != nil:
		status = http.StatusRequestEntityTooLarge
	case rc.headerName != "" && r.Header.Get(rc.headerName) != rc.headerValue:
		status = http.StatusUnauthorized
	}
	w.WriteHeader(status)

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Method != http.MethodPost || readErr != nil {
		fmt.Fprintf(rc.stderr, "%s %s %s rejected: %s -> %d\n", received.Format("15:04:05.000"), r.Method, r.URL.Path, rejectReason(r, readErr), status)
		return
	}
	if rc.json {
		rc.printJSON(received, r, body, status)
		return
	}
	fmt.Fprintln(rc.stdout, webhookLine(received, r, body, status))
}

func rejectReason(r *http.Request, readErr error) string {
	if r.Method != http.MethodPost {
		return "webhooks are POST requests"
	}
	return fmt.Sprintf("body larger than %d bytes: %v", maxWebhookBytes, readErr)
}

// printJSON prints a JSON body as one line on stdout. An invalid body
// goes to stderr as a text line, so stdout stays a JSON Lines stream.
func (rc *receiver) printJSON(received time.Time, r *http.Request, body []byte, status int) {
	var line bytes.Buffer
	if err := json.Compact(&line, body); err != nil {
		fmt.Fprintln(rc.stderr, webhookLine(received, r, body, status))
		return
	}
	line.WriteByte('\n')
	rc.stdout.Write(line.Bytes())
}

// webhookLine formats one received webhook as a text line: wall time,
// topic, document id, status attribute, request_id, and the status
// code of the response.
func webhookLine(received time.Time, r *http.Request, body []byte, status int) string {
	at := received.Format("15:04:05.000")
	var wb webhookBody
	if err := json.Unmarshal(body, &wb); err != nil {
		return fmt.Sprintf("%s invalid JSON body (%d bytes) on %s: %s -> %d", at, len(body), r.URL.Path, quoteStart(body, 80), status)
	}
	doc := string(wb.Attributes.DocumentID)
	if doc == "" || doc == "null" {
		doc = wb.ID
	}
	return fmt.Sprintf("%s %s document=%s status=%s request_id=%s -> %d",
		at, orUnknown(wb.Topic), orUnknown(doc), orUnknown(wb.Attributes.Status), orUnknown(wb.RequestID), status)
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// quoteStart quotes at most n bytes of b, marking a cut with "...".
func quoteStart(b []byte, n int) string {
	if len(b) <= n {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:n])) + "..."
}
