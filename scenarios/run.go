package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/assertions"
	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// RunOptions configure Run.
type RunOptions struct {
	// ConsumerURL is the consumer's webhook URL, such as
	// http://127.0.0.1:9000/webhooks. Required.
	ConsumerURL string

	// Headers are sent with every webhook, usually the consumer's auth
	// header, such as Authorization: Bearer <secret>. They win over the
	// scenario's own subscription headers. Their values never appear in
	// reports or progress lines.
	Headers map[string]string

	// Addr is the platform's listen address. Empty means 127.0.0.1:0,
	// a random loopback port. A fixed address lets a consumer outside
	// this process be configured with the platform's URL before the
	// run.
	Addr string

	// FirstDocumentID is the id of the first uploaded document. Zero
	// means mockplatform.DefaultFirstID. A consumer that runs through
	// several scenarios keeps what it learned about each document id,
	// so give every scenario its own range of ids.
	FirstDocumentID int64

	// ConsumerWait is how long Run keeps trying to connect to the
	// consumer before it reports the consumer unreachable, for a
	// consumer that starts at the same time. Zero means one try.
	ConsumerWait time.Duration

	// OnPlatform, when set, is called once the platform listens and
	// before the consumer is subscribed or any document is uploaded,
	// with the platform's base URL. An in-process consumer that needs
	// the URL starts here. An error ends the run with that error.
	OnPlatform func(platformURL string) error

	// Progress receives a line for each step of the run. Nil means no
	// progress lines.
	Progress io.Writer

	// Logger receives the platform's logs. Nil means no logs.
	Logger *slog.Logger
}

// ErrConsumerUnreachable is wrapped by the error of Run when the
// consumer does not accept connections, before the first webhook or on
// every webhook sent.
var ErrConsumerUnreachable = errors.New("consumer unreachable")

// ErrPlatformStart is wrapped by the error of Run when the platform
// cannot start, for example because its address is taken.
var ErrPlatformStart = errors.New("start platform")

// Report is the outcome of one scenario.
type Report struct {
	Scenario    string `json:"scenario"`
	Description string `json:"description,omitempty"`
	Seed        uint64 `json:"seed"`
	// PlatformURL is the base URL of the platform the scenario ran on.
	PlatformURL string `json:"platform_url,omitempty"`
	// ConsumerURL is the consumer's webhook URL with any password
	// masked.
	ConsumerURL string `json:"consumer_url,omitempty"`
	// Documents is how many documents were uploaded, with ids from
	// FirstDocumentID to LastDocumentID.
	Documents       int   `json:"documents"`
	FirstDocumentID int64 `json:"first_document_id,omitempty"`
	LastDocumentID  int64 `json:"last_document_id,omitempty"`
	// Started is the wall time the run started; Duration is how long
	// it took. JSON shows Duration as duration_seconds.
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"-"`
	// TimedOut is set when the platform still had steps or deliveries
	// pending at the scenario's timeout, so the checks judged what had
	// happened by then.
	TimedOut bool `json:"timed_out,omitempty"`
	// Results has one result per check of the scenario, in its order.
	Results []assertions.Result `json:"results"`
	// Error is the message of the error that ended the run without
	// verdicts, such as an unreachable consumer; empty when the checks
	// ran.
	Error string `json:"error,omitempty"`
}

// Verdicts of a whole report.
const (
	ReportPassed = "passed"
	ReportFailed = "failed"
	ReportError  = "error"
)

// Status returns ReportError when the run ended without verdicts,
// ReportPassed when every check passed, and ReportFailed otherwise: an
// inconclusive check fails the scenario too, because a scenario lists
// the checks it means to exercise.
func (r Report) Status() string {
	switch {
	case r.Error != "" || len(r.Results) == 0:
		return ReportError
	case r.Passed():
		return ReportPassed
	}
	return ReportFailed
}

// Passed reports whether the run ended with verdicts and every check
// passed.
func (r Report) Passed() bool {
	if r.Error != "" || len(r.Results) == 0 {
		return false
	}
	for _, res := range r.Results {
		if res.Status != assertions.Passed {
			return false
		}
	}
	return true
}

// Count returns how many checks ended with status s.
func (r Report) Count(s assertions.Status) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// Run runs the consumer at opts.ConsumerURL through sc and judges it.
//
// It starts a platform with the scenario's clock, seed and rules,
// subscribes the consumer, uploads the documents and waits until the
// platform is idle: every workflow step has fired and every webhook
// was delivered, lost or dropped. The consumer then gets the
// scenario's settle time, and the checks run with assertions.RunAll
// until the settle time ends. A check fails as soon as the journals
// show a violation, but passes only when the settle time ends, because
// the consumer's effects can lag behind its acknowledgements. When
// every check has failed before the platform is idle, Run stops there.
//
// The platform has until the timeout less the settle time to become
// idle. When it is still busy then, the checks judge what happened so
// far and the report is marked TimedOut.
//
// Run returns an error, and a report whose Error holds its message,
// when sc or opts is invalid, when the platform cannot start, wrapping
// ErrPlatformStart, or when the consumer rejects connections, wrapping
// ErrConsumerUnreachable. A
// failed check is not an error: see Report.Passed.
func Run(ctx context.Context, sc Scenario, opts RunOptions) (Report, error) {
	sc = sc.withDefaults()
	r := &runner{sc: sc, opts: opts, progress: opts.Progress}
	r.report = Report{Scenario: sc.Name, Description: sc.Description, Seed: sc.Seed,
		ConsumerURL: redactURL(opts.ConsumerURL), Started: time.Now()}
	err := r.run(ctx)
	r.report.Duration = time.Since(r.report.Started)
	if err != nil {
		r.report.Error = err.Error()
		r.progressf("error after %s: %v", r.report.Duration.Round(time.Millisecond), err)
		return r.report, err
	}
	r.progressf("%s in %s: %d passed, %d failed, %d inconclusive", r.report.Status(),
		r.report.Duration.Round(time.Millisecond), r.report.Count(assertions.Passed),
		r.report.Count(assertions.Failed), r.report.Count(assertions.Inconclusive))
	return r.report, nil
}

// runner holds the state of one Run.
type runner struct {
	sc       Scenario
	opts     RunOptions
	progress io.Writer
	report   Report
	platform *mockplatform.Platform
}

func (r *runner) progressf(format string, args ...any) {
	if r.progress != nil {
		fmt.Fprintf(r.progress, "%s: %s\n", r.sc.Name, fmt.Sprintf(format, args...))
	}
}

func (r *runner) run(ctx context.Context) error {
	if err := r.sc.Validate(); err != nil {
		return fmt.Errorf("scenario %s: %w", r.sc.Name, err)
	}
	if err := mockplatform.ValidateWebhookURL(r.opts.ConsumerURL); err != nil {
		return fmt.Errorf("consumer URL: %w", err)
	}
	deadline := r.report.Started.Add(r.sc.Limits.Timeout)
	if err := r.startPlatform(); err != nil {
		return err
	}
	defer r.stopPlatform()
	if r.opts.OnPlatform != nil {
		if err := r.opts.OnPlatform(r.platform.URL()); err != nil {
			return fmt.Errorf("start of the consumer: %w", err)
		}
	}
	if err := r.awaitConsumer(ctx); err != nil {
		return err
	}
	if err := r.subscribe(); err != nil {
		return err
	}
	if err := r.upload(); err != nil {
		return err
	}

	checks := r.checks()
	idleCtx, cancel := context.WithDeadline(ctx, deadline.Add(-r.sc.Limits.Settle))
	defer cancel()
	early, err := r.waitIdle(idleCtx, checks)
	switch {
	case errors.Is(err, ErrConsumerUnreachable):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("scenario %s cancelled: %w", r.sc.Name, context.Cause(ctx))
	case early != nil:
		r.progressf("every check has failed after %s; stopping before the platform is idle",
			time.Since(r.report.Started).Round(time.Millisecond))
		r.report.Results = early
		return nil
	case err != nil:
		r.report.TimedOut = true
		r.progressf("platform still busy at the timeout of %s less the settle time: judging what happened so far", r.sc.Limits.Timeout)
	default:
		r.progressf("platform idle after %s; giving the consumer %s to settle",
			time.Since(r.report.Started).Round(time.Millisecond), r.sc.Limits.Settle)
	}

	settleCtx, stop := context.WithTimeout(ctx, r.sc.Limits.Settle)
	defer stop()
	r.report.Results = r.judge(settleCtx, checks)
	if ctx.Err() != nil {
		return fmt.Errorf("scenario %s cancelled: %w", r.sc.Name, context.Cause(ctx))
	}
	return nil
}

// startPlatform starts the platform with the scenario's settings and
// no subscription yet.
func (r *runner) startPlatform() error {
	var clk clock.Clock = clock.Real()
	if r.sc.TimeScale != 1 {
		scaled, err := clock.NewScaled(r.sc.TimeScale)
		if err != nil {
			return fmt.Errorf("scenario %s: time_scale: %w", r.sc.Name, err)
		}
		clk = scaled
	}
	p, err := mockplatform.Start(mockplatform.Options{
		Addr:                r.opts.Addr,
		Rules:               r.sc.Rules,
		Profiles:            r.sc.Profiles,
		Clock:               clk,
		Seed:                r.sc.Seed,
		RequestIDPerAttempt: r.sc.RequestID == mockplatform.RequestIDModePerAttempt,
		AttemptTimeout:      r.sc.AttemptTimeout,
		FirstDocumentID:     r.opts.FirstDocumentID,
		Logger:              r.opts.Logger,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPlatformStart, err)
	}
	r.platform = p
	r.report.PlatformURL = p.URL()
	r.progressf("platform at %s, seed %d, clock %v times faster than wall time", p.URL(), r.sc.Seed, r.sc.TimeScale)
	return nil
}

// stopPlatform shuts the platform down, waiting for the delivery
// attempts in flight for at most their timeout plus a grace period.
func (r *runner) stopPlatform() {
	timeout := r.sc.AttemptTimeout
	if timeout == 0 {
		timeout = mockplatform.DefaultAttemptTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
	defer cancel()
	// The verdicts are in; a slow shutdown changes none of them, and the
	// platform logs what it could not finish.
	_ = r.platform.Shutdown(ctx)
}

// subscribe adds the consumer's subscription with the scenario's
// topics and headers and the run's headers.
func (r *runner) subscribe() error {
	headers := maps.Clone(r.sc.Subscription.Headers)
	if headers == nil {
		headers = map[string]string{}
	}
	for name, value := range r.opts.Headers {
		// A run's header replaces the scenario's header of the same
		// name whatever its case, because HTTP header names are.
		for existing := range headers {
			if strings.EqualFold(existing, name) {
				delete(headers, existing)
			}
		}
		headers[name] = value
	}
	_, err := r.platform.AddSubscription(mockplatform.Subscription{
		ID: SubscriptionID, URL: r.opts.ConsumerURL, Headers: headers, Topics: r.sc.Subscription.Topics,
	})
	if err != nil {
		return fmt.Errorf("subscribe the consumer: %w", err)
	}
	return nil
}

// upload creates the scenario's documents.
func (r *runner) upload() error {
	uploads := r.sc.Uploads()
	for i, u := range uploads {
		doc, err := r.platform.Upload(u)
		if err != nil {
			return fmt.Errorf("upload document %d of %d: %w", i+1, len(uploads), err)
		}
		if i == 0 {
			r.report.FirstDocumentID = doc.ID
		}
		r.report.LastDocumentID = doc.ID
	}
	r.report.Documents = len(uploads)
	r.progressf("uploaded %d documents, ids %d to %d", len(uploads), r.report.FirstDocumentID, r.report.LastDocumentID)
	return nil
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// dialAddress returns the host:port a URL connects to.
func dialAddress(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}
