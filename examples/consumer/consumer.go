// Package consumer is a reference consumer of the Parashift
// document-processing platform: a small service that receives the
// platform's webhooks and polls its REST API the way a correct
// integration does. Teams read it as a model, and the parashift-mock
// harness runs it, with and without deliberate defects, to show what
// its checks catch.
//
// The correct consumer:
//   - responds to a valid webhook with 204 at once and does the work
//     after the response, in a worker goroutine;
//   - rejects webhooks without "Authorization: Bearer <secret>" with
//     401;
//   - responds with 204 to unknown topics and ignores unknown members;
//   - acts on each (document_id, topic) once, whatever its request_id;
//   - keeps the furthest topic in workflow order per document, so a
//     late older topic changes nothing;
//   - polls GET /v2/documents/{id} for documents that are overdue,
//     at a bounded rate, and never for terminal documents;
//   - retries its API calls: 429 after Retry-After, 5xx and network
//     errors with growing delays up to a bound, other 4xx never.
//
// Config.Defect switches one of these off; see Defect.
//
// The consumer imports mockplatform only for the topic list and the
// status values. A service outside this repository keeps its own copy
// of the 22 topics.
package consumer

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
)

// Consumer is a running reference consumer. Create it with New, serve
// Handler on an HTTP server, and call Run.
type Consumer struct {
	cfg     Config
	log     *slog.Logger
	state   *store
	queue   chan webhookEvent
	api     *apiClient
	effects *effectsSender // nil when Config.EffectsURL is empty
	running atomic.Bool
}

// New validates cfg and returns a consumer that is not running yet. An
// invalid field is reported as a *ConfigError.
func New(cfg Config) (*Consumer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	c := &Consumer{
		cfg:   cfg,
		log:   log,
		queue: make(chan webhookEvent, cfg.QueueSize),
	}

	c.api = &apiClient{baseURL: cfg.APIURL, token: cfg.Token, retrier: c.newRetrier(client, cfg.Defect)}
	if cfg.Defect != DefectPollStorm {
		c.api.retrier.limiter = newTokenBucket(cfg.MaxPollRate)
	}
	var out *outbox
	if cfg.EffectsURL != "" {
		out = newOutbox()
		// The effects receiver is part of the harness, so the
		// defects, which are about the platform's API, do not apply.
		c.effects = &effectsSender{url: cfg.EffectsURL, outbox: out, retrier: c.newRetrier(client, DefectNone), log: log}
	}
	c.state = newStore(cfg.Defect, out)
	return c, nil
}

func (c *Consumer) newRetrier(client *http.Client, defect Defect) *retrier {
	return &retrier{
		client: client, timeout: c.cfg.APITimeout, maxAttempts: c.cfg.MaxAttempts,
		base: c.cfg.RetryBase, maxDelay: c.cfg.RetryMaxDelay, defect: defect, log: c.log,
	}
}

// Handler returns the consumer's HTTP handler: POST /webhooks for the
// platform's webhooks, and GET /healthz, which returns 200 while the
// process is up. Webhooks are queued even before Run starts.
func (c *Consumer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks", c.handleWebhook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

// Run starts the worker, the poller and the effects sender, and
// returns once ctx is done and all of them have ended. Events still
// queued when ctx ends are processed first, and their effects are sent
// for at most a few seconds more. Stop the HTTP server before ctx ends,
// so that no webhook is acknowledged after the worker has stopped.
// Run may be called once.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("consumer: Run called twice: create a new Consumer instead")
	}
	c.log.Info("consumer started", "api_url", c.cfg.APIURL, "effects_url", c.cfg.EffectsURL,
		"overdue", c.cfg.Overdue, "poll_interval", c.cfg.PollInterval,
		"max_poll_rate", c.cfg.MaxPollRate, "defect", string(c.cfg.Defect))

	var producers sync.WaitGroup
	producers.Go(func() { c.runWorker(ctx) })
	producers.Go(func() { c.runPoller(ctx) })
	producersDone := make(chan struct{})
	go func() {
		producers.Wait()
		close(producersDone)
	}()
	if c.effects != nil {
		c.effects.run(ctx, producersDone)
	}
	<-producersDone
	c.log.Info("consumer stopped")
	return nil
}

// State returns a copy of the consumer's view of every document it has
// heard of, by id.
func (c *Consumer) State() map[int64]DocumentState {
	return c.state.snapshot()
}
