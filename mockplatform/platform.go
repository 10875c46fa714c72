// Package mockplatform is an in-process fake of the Parashift
// document-processing platform: its JSON:API REST API under /v2, a
// workflow engine that moves every document through the platform's
// topics, and a webhook dispatcher with the platform's retry schedule.
//
// A Platform behaves like an httptest.Server: Start listens on a random
// loopback port, URL returns its base URL, and Close waits for the
// delivery attempts in flight. All platform delays run on one
// clock.Clock, so a test can run them in real time, faster, or step by
// step with a manual clock. Every delivery attempt and every API request
// is recorded in journals that tests and the control API under /_mock
// read.
package mockplatform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// Defaults used when the matching Options field is zero.
const (
	DefaultToken          = "parashift-mock-token"
	DefaultTenant         = 1
	DefaultAttemptTimeout = 10 * time.Second
	DefaultMaxBodyBytes   = 32 << 20
	DefaultFirstID        = 100001
)

// MaxFirstDocumentID bounds Options.FirstDocumentID so that ids stay
// below 2^53 and exact as JavaScript numbers.
const MaxFirstDocumentID = 1 << 50

// Options configure a Platform. The zero value is usable: a real clock,
// seed 0, the default token for tenant 1, no subscriptions.
type Options struct {
	// Addr is the listen address for Start. Empty means 127.0.0.1:0, a
	// random loopback port.
	Addr string

	// Tokens maps bearer tokens to tenant ids. Nil or empty means
	// DefaultToken for DefaultTenant.
	Tokens map[string]int64

	// Subscriptions are the webhooks configured at start.
	Subscriptions []Subscription

	// Rules are the fault injection rules active from the start.
	Rules []Rule

	// Profiles are added to the built-in profiles; a profile with a
	// built-in name replaces it.
	Profiles []Profile

	// DefaultProfile names the profile of documents that select none.
	// Empty means DefaultProfileName.
	DefaultProfile string

	// Clock drives every platform delay. Nil means clock.Real().
	Clock clock.Clock

	// Seed makes jitter, request ids and fake extracted values
	// reproducible: the same seed and inputs give the same values.
	Seed uint64

	// RequestIDPerAttempt gives every delivery attempt a new request_id.
	// False keeps one request_id per event across its retries.
	RequestIDPerAttempt bool

	// AttemptTimeout bounds one delivery attempt, from connecting to
	// reading the response. Zero means DefaultAttemptTimeout.
	AttemptTimeout time.Duration

	// MaxBodyBytes bounds a request body on the REST API; a larger body
	// gets 413. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// JournalLimit bounds each journal: the deliveries, the requests,
	// the effects and the ended events. The oldest records are dropped
	// and counted past it. Zero means DefaultJournalLimit.
	JournalLimit int

	// FirstDocumentID is the id of the first uploaded document. Zero
	// means DefaultFirstID.
	FirstDocumentID int64

	// Logger receives the platform's logs. Nil means no logs.
	Logger *slog.Logger

	// HTTPClient sends the deliveries. Nil means a client with its own
	// transport; its per-attempt timeout is AttemptTimeout either way.
	// The default client follows no redirect, while a client given here
	// follows them as its CheckRedirect decides, so set CheckRedirect
	// to return http.ErrUseLastResponse to record a 3xx as the response.
	HTTPClient *http.Client
}

// Platform is a running fake of the platform. Create one with New or
// Start; its methods are safe for concurrent use.
type Platform struct {
	opts   Options
	clock  clock.Clock
	log    *slog.Logger
	client *http.Client
	// transport is the default client's transport, which do calls
	// directly; nil when Options.HTTPClient is set.
	transport http.RoundTripper
	handler   http.Handler

	store      *store
	rules      *rules
	started    time.Time
	deliveries *ring[Delivery]
	requests   *ring[Request]
	effects    *ring[Effect]
	events     *eventTable

	mu sync.Mutex
	// subs is replaced, never changed in place, and published in
	// subsView, so emit reads it without taking mu.
	subs     []*activeSubscription
	subsView atomic.Pointer[[]*activeSubscription]
	nextSub  int
	profiles map[string]Profile
	// plans holds each profile's plan, computed when it is added.
	plans map[string][]step
	// timers is the first of the pending timers, which link to each
	// other.
	timers *pendingTimer
	closed bool
	// stopping is closed when Shutdown starts. REST API requests that
	// latency and hang faults hold wait on it, because
	// http.Server.Shutdown waits for them but does not cancel their
	// contexts.
	stopping chan struct{}

	// chainsMu guards chains and held, which every delivery touches, so
	// that they do not contend for mu.
	chainsMu sync.Mutex
	chains   map[chainKey]*chain
	held     map[chainKey][]*event

	// queues holds the send queue of each webhook URL.
	queuesMu sync.Mutex
	queues   map[string]*sendQueue

	// batching is set while Advance runs the callbacks of one instant,
	// and batch holds the attempts they start; see sendBatch.
	batching atomic.Bool
	batchMu  sync.Mutex
	batch    []queuedSend
	// batchSpare is an empty slice with room, which replaces batch when
	// sendBatch takes the attempts of an instant.
	batchSpare []queuedSend

	// advancing is set while Advance steps the manual clock; timer
	// callbacks then queue in due instead of running at once.
	advancing bool
	due       []*pendingTimer
	// dueSpare is an empty slice with room, which replaces due when
	// runDueBatch takes the calls of an instant.
	dueSpare  []*pendingTimer
	advanceMu sync.Mutex

	// busy counts work that runs now: attempts in flight and timer
	// callbacks. outstanding counts work not yet finished, including
	// steps and retries waiting on the clock.
	busy        tracker
	outstanding tracker

	server   *http.Server
	listener net.Listener
	serveErr chan error
}

// shutdownGrace bounds how long Shutdown waits for REST API and control
// API requests in flight before it closes their connections.
const shutdownGrace = 5 * time.Second

// ErrClosed is returned by operations on a closed Platform.
var ErrClosed = errors.New("mockplatform: platform closed")

// New returns a platform that is not listening yet: serve its Handler
// yourself, or use Start.
func New(opts Options) (*Platform, error) {
	p := &Platform{
		opts:     opts,
		clock:    opts.Clock,
		log:      opts.Logger,
		profiles: make(map[string]Profile),
		plans:    make(map[string][]step),
		chains:   make(map[chainKey]*chain),
		held:     make(map[chainKey][]*event),
		queues:   make(map[string]*sendQueue),
		stopping: make(chan struct{}),
	}
	if p.clock == nil {
		p.clock = clock.Real()
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if len(p.opts.Tokens) == 0 {
		p.opts.Tokens = map[string]int64{DefaultToken: DefaultTenant}
	}
	for token, tenant := range p.opts.Tokens {
		if token == "" {
			return nil, errors.New("mockplatform: empty bearer token in Tokens: every token needs at least one character")
		}
		if tenant <= 0 {
			return nil, fmt.Errorf("mockplatform: tenant id %d is invalid: tenant ids are positive integers", tenant)
		}
	}
	if p.opts.AttemptTimeout == 0 {
		p.opts.AttemptTimeout = DefaultAttemptTimeout
	}
	if p.opts.AttemptTimeout < 0 {
		return nil, fmt.Errorf("mockplatform: attempt timeout %s is negative: use 0 for the default %s or a positive duration", p.opts.AttemptTimeout, DefaultAttemptTimeout)
	}
	if p.opts.MaxBodyBytes == 0 {
		p.opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if p.opts.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("mockplatform: max body size %d is negative: use 0 for the default or a positive number of bytes", p.opts.MaxBodyBytes)
	}
	if p.opts.JournalLimit == 0 {
		p.opts.JournalLimit = DefaultJournalLimit
	}
	if p.opts.JournalLimit < 0 {
		return nil, fmt.Errorf("mockplatform: journal limit %d is negative: use 0 for the default %d or a positive number", p.opts.JournalLimit, DefaultJournalLimit)
	}
	if p.opts.FirstDocumentID == 0 {
		p.opts.FirstDocumentID = DefaultFirstID
	}
	if p.opts.FirstDocumentID < 0 || p.opts.FirstDocumentID > MaxFirstDocumentID {
		return nil, fmt.Errorf("mockplatform: first document id %d is out of range: use 1 to %d, so ids stay exact in JavaScript clients", p.opts.FirstDocumentID, int64(MaxFirstDocumentID))
	}
	p.store = newStore(p.opts.FirstDocumentID, p.extractFields)
	p.started = p.clock.Now()
	p.rules = &rules{seed: p.opts.Seed}
	for _, r := range opts.Rules {
		if _, err := p.AddRule(r); err != nil {
			return nil, err
		}
	}
	p.deliveries = newRing[Delivery](p.opts.JournalLimit)
	p.requests = newRing[Request](p.opts.JournalLimit)
	p.effects = newRing[Effect](p.opts.JournalLimit)
	p.events = newEventTable(p.opts.JournalLimit)
	p.client = p.opts.HTTPClient
	if p.client == nil {
		p.client = newDeliveryClient()
		p.transport = p.client.Transport
	}

	for _, pr := range BuiltinProfiles() {
		p.profiles[pr.Name] = pr
		p.plans[pr.Name] = pr.plan()
	}
	for _, pr := range opts.Profiles {
		if err := p.AddProfile(pr); err != nil {
			return nil, err
		}
	}
	if p.opts.DefaultProfile == "" {
		p.opts.DefaultProfile = DefaultProfileName
	}
	if _, ok := p.profiles[p.opts.DefaultProfile]; !ok {
		return nil, fmt.Errorf("mockplatform: default profile %q is not defined: use one of %s", p.opts.DefaultProfile, p.profileNames())
	}
	for _, s := range opts.Subscriptions {
		if _, err := p.AddSubscription(s); err != nil {
			return nil, err
		}
	}
	p.handler = p.routes()
	return p, nil
}

// Start returns a platform listening on Options.Addr (a random loopback
// port by default) and serving in its own goroutine.
func Start(opts Options) (*Platform, error) {
	p, err := New(opts)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mockplatform: listen on %s: %w", addr, err)
	}
	p.Serve(ln)
	return p, nil
}

// Serve serves the platform on ln in its own goroutine until Shutdown
// or Close. It must be called at most once.
func (p *Platform) Serve(ln net.Listener) {
	p.listener = ln
	p.server = &http.Server{
		Handler:           p.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
	p.serveErr = make(chan error, 1)
	go func() {
		err := p.server.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		p.serveErr <- err
	}()
	p.log.Info("platform started", "url", p.URL(), "seed", p.opts.Seed)
}

// URL returns the base URL, such as http://127.0.0.1:41234, or "" when
// the platform is not listening. The REST API is under URL()+"/v2" and
// the control API under URL()+"/_mock".
func (p *Platform) URL() string {
	if p.listener == nil {
		return ""
	}
	return BaseURL(p.listener.Addr().String())
}

// BaseURL returns the http URL of a listen address host:port. An
// address on every interface, such as 0.0.0.0:8080 or [::]:8080, gets
// a URL on 127.0.0.1, because "http://[::]:8080" is no address a
// client can use.
func BaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			return "http://" + net.JoinHostPort("127.0.0.1", port)
		}
	}
	return "http://" + addr
}

// Handler returns the HTTP handler of the REST API and the control API.
func (p *Platform) Handler() http.Handler { return p.handler }

// Clock returns the clock that drives the platform's delays.
func (p *Platform) Clock() clock.Clock { return p.clock }

// Shutdown stops the platform: it stops accepting requests, cancels
// every step and retry still waiting on the clock and every attempt
// still waiting in a send queue, and waits until the delivery attempts
// in flight end or ctx is done. Events whose deliveries were cancelled
// stay pending in the event table.
func (p *Platform) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.stopping)
	var timers []*pendingTimer
	for p.timers != nil {
		t := p.timers
		p.unlistTimer(t)
		timers = append(timers, t)
	}
	p.mu.Unlock()

	// A timer whose callback already fired but has not taken p.mu yet
	// finds itself gone and does nothing, so each one is cancelled
	// here whether Stop caught it or not.
	for _, t := range timers {
		t.timer.Stop()
		t.cancel()
	}
	var errs []error
	if p.server != nil {
		// A client that stalls mid-request would hold a graceful
		// shutdown forever, so after a grace period the remaining
		// connections are closed.
		grace, cancel := context.WithTimeout(ctx, shutdownGrace)
		err := p.server.Shutdown(grace)
		cancel()
		if err != nil {
			p.log.Warn("closing connections still open after the shutdown grace period", "grace", shutdownGrace)
			if err := p.server.Close(); err != nil {
				errs = append(errs, fmt.Errorf("mockplatform: close HTTP server: %w", err))
			}
		}
		if err := <-p.serveErr; err != nil {
			errs = append(errs, fmt.Errorf("mockplatform: serve: %w", err))
		}
	}
	if err := p.busy.wait(ctx); err != nil {
		errs = append(errs, fmt.Errorf("mockplatform: wait for delivery attempts in flight: %w", err))
	}
	// Events still pending wait in a document's queue, in a reorder
	// hold or for a cancelled retry; none will be sent now.
	for _, e := range p.events.pending() {
		p.releaseEvent(e)
	}
	// Idle keep-alive connections each hold two goroutines.
	p.client.CloseIdleConnections()
	p.log.Info("platform stopped", "pending_events", p.events.count(EventPending))
	return errors.Join(errs...)
}

// Close is Shutdown without a deadline.
func (p *Platform) Close() error { return p.Shutdown(context.Background()) }

// AddProfile adds a workflow profile or replaces the one with the same
// name.
func (p *Platform) AddProfile(pr Profile) error {
	if err := pr.Validate(); err != nil {
		return fmt.Errorf("mockplatform: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.profiles[pr.Name] = pr.clone()
	p.plans[pr.Name] = pr.plan()
	return nil
}

// Profiles returns the defined profiles sorted by name.
func (p *Platform) Profiles() []Profile {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Profile, 0, len(p.profiles))
	for _, pr := range p.profiles {
		out = append(out, pr.clone())
	}
	slices.SortFunc(out, func(a, b Profile) int { return cmpString(a.Name, b.Name) })
	return out
}

func (p *Platform) profile(name string) (Profile, bool) {
	pr, _, ok := p.profilePlan(name)
	return pr, ok
}

// profilePlan returns the profile with the given name and its plan,
// which the caller must not change.
func (p *Platform) profilePlan(name string) (Profile, []step, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, ok := p.profiles[name]
	return pr, p.plans[name], ok
}

// profileNames lists the defined profile names for error messages. The
// caller must not hold p.mu.
func (p *Platform) profileNames() string {
	names := ""
	for i, pr := range p.Profiles() {
		if i > 0 {
			names += ", "
		}
		names += pr.Name
	}
	return names
}

// AddSubscription validates s, assigns it an id if it has none, and
// returns it as stored. It fails when the id is taken.
func (p *Platform) AddSubscription(s Subscription) (Subscription, error) {
	if err := s.Validate(); err != nil {
		return Subscription{}, fmt.Errorf("mockplatform: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.ID == "" {
		for {
			p.nextSub++
			s.ID = fmt.Sprintf("wh-%d", p.nextSub)
			if p.subIndex(s.ID) < 0 {
				break
			}
		}
	} else if p.subIndex(s.ID) >= 0 {
		return Subscription{}, fmt.Errorf("mockplatform: subscription id %q is taken: choose another id or delete the existing subscription", s.ID)
	}
	s = s.clone()
	// Clip makes append copy, so a slice emit still reads stays as it
	// was.
	p.subs = append(slices.Clip(p.subs), p.newActiveSubscription(s))
	p.subsView.Store(&p.subs)
	return s.clone(), nil
}

// RemoveSubscription deletes the subscription with the given id and
// reports whether it existed. Events already fired to it are still
// delivered.
func (p *Platform) RemoveSubscription(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.subIndex(id)
	if i < 0 {
		return false
	}
	p.subs = slices.Delete(slices.Clone(p.subs), i, i+1)
	p.subsView.Store(&p.subs)
	return true
}

// Subscriptions returns the configured subscriptions in the order they
// were added.
func (p *Platform) Subscriptions() []Subscription {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Subscription, len(p.subs))
	for i, s := range p.subs {
		out[i] = s.Subscription.clone()
	}
	return out
}

// activeSubscriptions returns the stored subscriptions, which the
// caller must not change.
func (p *Platform) activeSubscriptions() []*activeSubscription {
	if subs := p.subsView.Load(); subs != nil {
		return *subs
	}
	return nil
}

func (p *Platform) subIndex(id string) int {
	return slices.IndexFunc(p.subs, func(s *activeSubscription) bool { return s.ID == id })
}

// AddRule validates a fault rule, assigns it an id if it has none, and
// activates it. The error names the invalid field and the accepted
// values.
func (p *Platform) AddRule(r Rule) (Rule, error) {
	added, err := p.rules.add(r)
	if err != nil {
		return Rule{}, fmt.Errorf("mockplatform: %w", err)
	}
	return added, nil
}

// RemoveRule deactivates the fault rule with the given id and reports
// whether it existed.
func (p *Platform) RemoveRule(id string) bool { return p.rules.remove(id) }

// Rules returns the active fault rules in the order they were added,
// with how often each matched and fired.
func (p *Platform) Rules() []RuleStatus { return p.rules.snapshot() }

// Document returns a copy of the document with the given id.
func (p *Platform) Document(id int64) (Document, bool) { return p.store.get(id) }

// Documents returns copies of every document in id order.
func (p *Platform) Documents() []Document {
	docs, _ := p.store.query(nil, false, 0, p.store.len(), true)
	return docs
}

// Deliveries returns the delivery journal, oldest first, and how many
// records were dropped to respect the journal limit.
func (p *Platform) Deliveries() ([]Delivery, int64) { return p.deliveries.snapshot() }

// Requests returns the API request journal, oldest first, and how many
// records were dropped to respect the journal limit.
func (p *Platform) Requests() ([]Request, int64) { return p.requests.snapshot() }

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
