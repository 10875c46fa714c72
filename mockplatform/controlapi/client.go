// Package controlapi is a Go client of the mock platform's control API,
// the endpoints under /_mock that configure a running platform and read
// its journals. It works the same against a platform started in the
// test's own process (mockplatform.Platform.URL) and against one in a
// container or another process, so one test can target either.
//
// docs/control-api.md describes every endpoint.
package controlapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// Client calls the control API of one platform. Its methods are safe
// for concurrent use. A call ends when its context does, and the
// default HTTP client has no timeout of its own, so give calls a
// context with a deadline where the platform may stall.
type Client struct {
	base *url.URL
	http *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc instead of
// http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// New returns a Client of the platform at baseURL, the address that
// serves both the REST API and the control API, such as
// "http://127.0.0.1:8080". A path on baseURL is kept as a prefix.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("controlapi: base URL %q is invalid: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("controlapi: base URL %q is invalid: use an absolute http or https URL such as http://127.0.0.1:8080", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("controlapi: base URL %q has a query or fragment: give the platform's address only", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c := &Client{base: u, http: http.DefaultClient}
	for _, opt := range opts {
		opt(c)
	}
	return c, nil
}

// BaseURL returns the platform's address the Client was made with,
// without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// Error is a response of the control API with a status other than the
// one the call expects. The platform sends JSON:API errors, and Code,
// Title and Detail are empty when the body was not one.
type Error struct {
	Method     string
	Path       string
	StatusCode int
	Code       string
	Title      string
	Detail     string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("controlapi: %s %s: status %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Title != "" {
		msg += ": " + e.Title
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Health returns nil when the platform responds to GET /_mock/health
// with 200.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/_mock/health", nil, nil, http.StatusOK, nil)
}

// Subscriptions lists the webhook subscriptions in the order they were
// added, with header values masked.
func (c *Client) Subscriptions(ctx context.Context) ([]mockplatform.Subscription, error) {
	var out struct {
		Subscriptions []mockplatform.Subscription `json:"subscriptions"`
	}
	err := c.do(ctx, http.MethodGet, "/_mock/subscriptions", nil, nil, http.StatusOK, &out)
	return out.Subscriptions, err
}

// AddSubscription adds s and returns it as stored, with its id assigned
// when s had none and its header values masked.
func (c *Client) AddSubscription(ctx context.Context, s mockplatform.Subscription) (mockplatform.Subscription, error) {
	var out mockplatform.Subscription
	err := c.do(ctx, http.MethodPost, "/_mock/subscriptions", nil, s, http.StatusCreated, &out)
	return out, err
}

// RemoveSubscription removes the subscription with the given id.
func (c *Client) RemoveSubscription(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/_mock/subscriptions/"+id, nil, nil, http.StatusNoContent, nil)
}

// Profiles lists the workflow profiles, the built-in ones first.
func (c *Client) Profiles(ctx context.Context) ([]mockplatform.Profile, error) {
	var out struct {
		Profiles []mockplatform.Profile `json:"profiles"`
	}
	err := c.do(ctx, http.MethodGet, "/_mock/profiles", nil, nil, http.StatusOK, &out)
	return out.Profiles, err
}

// AddProfile adds p, or replaces the profile with the same name, and
// returns it as stored.
func (c *Client) AddProfile(ctx context.Context, p mockplatform.Profile) (mockplatform.Profile, error) {
	var out mockplatform.Profile
	err := c.do(ctx, http.MethodPost, "/_mock/profiles", nil, p, http.StatusCreated, &out)
	return out, err
}

// Rules lists the active fault rules with how often each matched and
// fired.
func (c *Client) Rules(ctx context.Context) ([]mockplatform.RuleStatus, error) {
	var out struct {
		Rules []mockplatform.RuleStatus `json:"rules"`
	}
	err := c.do(ctx, http.MethodGet, "/_mock/rules", nil, nil, http.StatusOK, &out)
	return out.Rules, err
}

// AddRule adds a fault rule and returns it as stored, with its id
// assigned when r had none.
func (c *Client) AddRule(ctx context.Context, r mockplatform.Rule) (mockplatform.Rule, error) {
	var out mockplatform.Rule
	err := c.do(ctx, http.MethodPost, "/_mock/rules", nil, r, http.StatusCreated, &out)
	return out, err
}

// RemoveRule removes the fault rule with the given id.
func (c *Client) RemoveRule(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/_mock/rules/"+id, nil, nil, http.StatusNoContent, nil)
}

// CreateDocuments creates documents as if a client had uploaded them,
// without a token and without a record in the request journal, and
// returns them in id order. Each starts its workflow at once.
func (c *Client) CreateDocuments(ctx context.Context, u mockplatform.ControlUpload) ([]mockplatform.Document, error) {
	var out struct {
		Documents []mockplatform.Document `json:"documents"`
	}
	err := c.do(ctx, http.MethodPost, "/_mock/documents", nil, u, http.StatusCreated, &out)
	return out.Documents, err
}

// Documents lists every document of every tenant in id order.
func (c *Client) Documents(ctx context.Context) ([]mockplatform.Document, error) {
	var out struct {
		Documents []mockplatform.Document `json:"documents"`
	}
	err := c.do(ctx, http.MethodGet, "/_mock/documents", nil, nil, http.StatusOK, &out)
	return out.Documents, err
}

// Document returns the document with the given id. A document that
// does not exist gives an *Error with StatusCode 404.
func (c *Client) Document(ctx context.Context, id int64) (mockplatform.Document, error) {
	var out mockplatform.Document
	err := c.do(ctx, http.MethodGet, "/_mock/documents/"+strconv.FormatInt(id, 10), nil, nil, http.StatusOK, &out)
	return out, err
}

// Filter selects journal records and events. A zero field matches
// everything. Not every endpoint takes every field: the request journal
// takes only DocumentID, the effects journal DocumentID and Topic, and
// only events take State.
type Filter struct {
	DocumentID   int64
	Subscription string
	Topic        mockplatform.Topic
	State        mockplatform.EventState
}

func (f Filter) query() url.Values {
	q := url.Values{}
	if f.DocumentID != 0 {
		q.Set("document", strconv.FormatInt(f.DocumentID, 10))
	}
	if f.Subscription != "" {
		q.Set("subscription", f.Subscription)
	}
	if f.Topic != "" {
		q.Set("topic", string(f.Topic))
	}
	if f.State != "" {
		q.Set("state", string(f.State))
	}
	return q
}

// Events lists the webhook events that match f, in the order they
// fired, and returns the number of ended events the platform discarded
// to stay within its journal limit.
func (c *Client) Events(ctx context.Context, f Filter) ([]mockplatform.Event, int64, error) {
	var out struct {
		Events  []mockplatform.Event `json:"events"`
		Dropped int64                `json:"dropped"`
	}
	err := c.do(ctx, http.MethodGet, "/_mock/events", f.query(), nil, http.StatusOK, &out)
	return out.Events, out.Dropped, err
}

// Deliveries reads the delivery journal, oldest first, and returns the
// records that match f with the number of old records the journal
// discarded to stay within its limit.
func (c *Client) Deliveries(ctx context.Context, f Filter) ([]mockplatform.Delivery, int64, error) {
	var out struct {
		Deliveries []mockplatform.Delivery `json:"deliveries"`
		Dropped    int64                   `json:"dropped"`
	}
	err := c.do(ctx, http.MethodGet, "/_mock/deliveries", f.query(), nil, http.StatusOK, &out)
	return out.Deliveries, out.Dropped, err
}

// Requests reads the REST API request journal, oldest first, and
// returns the records that match f with the number of old records the
// journal discarded.
func (c *Client) Requests(ctx context.Context, f Filter) ([]mockplatform.Request, int64, error) {
	var out struct {
		Requests []mockplatform.Request `json:"requests"`
		Dropped  int64                  `json:"dropped"`
	}
	err := c.do(ctx, http.MethodGet, "/_mock/requests", f.query(), nil, http.StatusOK, &out)
	return out.Requests, out.Dropped, err
}

// Effects reads the effects journal, oldest first, and returns the
// effects that match f with the number of old effects the journal
// discarded.
func (c *Client) Effects(ctx context.Context, f Filter) ([]mockplatform.Effect, int64, error) {
	var out struct {
		Effects []mockplatform.Effect `json:"effects"`
		Dropped int64                 `json:"dropped"`
	}
	err := c.do(ctx, http.MethodGet, "/_mock/effects", f.query(), nil, http.StatusOK, &out)
	return out.Effects, out.Dropped, err
}

// RecordEffect reports an effect to the effects sink, as a consumer
// under test does, and returns it as stored, with its sequence number
// and times.
func (c *Client) RecordEffect(ctx context.Context, e mockplatform.Effect) (mockplatform.Effect, error) {
	var out mockplatform.Effect
	err := c.do(ctx, http.MethodPost, "/_mock/effects", nil, e, http.StatusCreated, &out)
	return out, err
}

// Clock returns the platform time and the clock kind.
func (c *Client) Clock(ctx context.Context) (mockplatform.ClockInfo, error) {
	var out mockplatform.ClockInfo
	err := c.do(ctx, http.MethodGet, "/_mock/clock", nil, nil, http.StatusOK, &out)
	return out, err
}

// Advance advances a manual clock by d and returns when every step and
// retry due in the interval has run. A real or scaled clock gives an
// *Error with StatusCode 409.
func (c *Client) Advance(ctx context.Context, d time.Duration) (mockplatform.ClockInfo, error) {
	var out mockplatform.ClockInfo
	body := map[string]string{"duration": d.String()}
	err := c.do(ctx, http.MethodPost, "/_mock/clock/advance", nil, body, http.StatusOK, &out)
	return out, err
}

// WaitIdle waits until no workflow step and no delivery is pending or
// in flight, or until timeout passes on the platform's side, and
// reports whether the platform became idle. A timeout of zero or less
// means the platform's default of 10 s.
func (c *Client) WaitIdle(ctx context.Context, timeout time.Duration) (bool, error) {
	q := url.Values{}
	if timeout > 0 {
		q.Set("timeout", timeout.String())
	}
	var out struct {
		Idle bool `json:"idle"`
	}
	err := c.do(ctx, http.MethodGet, "/_mock/idle", q, nil, http.StatusOK, &out)
	return out.Idle, err
}

// maxResponseBytes bounds a response body the client reads. Journals
// hold at most --journal-limit records each, 100,000 by default, at
// a few hundred bytes per record.
const maxResponseBytes = 1 << 30

// maxErrorBytes bounds an error response body the client reads, and
// maxErrorDetail the part of a body that is not JSON:API that an Error
// shows.
const (
	maxErrorBytes  = 64 << 10
	maxErrorDetail = 200
)

// do sends one request and decodes a response with status want into
// out. in, when not nil, is sent as the JSON body. path is unescaped;
// it is escaped once for the request.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in any, want int, out any) error {
	u := c.base.JoinPath(path)
	u.RawQuery = query.Encode()

	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("controlapi: %s %s: encode body: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("controlapi: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("controlapi: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		return decodeError(method, path, resp.StatusCode, raw)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("controlapi: %s %s: read response: %w", method, path, err)
	}
	if len(raw) > maxResponseBytes {
		return fmt.Errorf("controlapi: %s %s: response body is larger than %d bytes: lower the journal limit or filter the request", method, path, maxResponseBytes)
	}
	if out == nil {
		return nil
	}
	// Numbers in custom fields stay json.Number, as the platform keeps
	// them, so large integers keep every digit.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("controlapi: %s %s: decode response: %w", method, path, err)
	}
	return nil
}

// decodeError builds an *Error from a JSON:API errors document, or from
// the status alone when the body is not one.
func decodeError(method, path string, status int, raw []byte) error {
	e := &Error{Method: method, Path: path, StatusCode: status}
	var doc struct {
		Errors []struct {
			Code   string `json:"code"`
			Title  string `json:"title"`
			Detail string `json:"detail"`
		} `json:"errors"`
	}
	if json.Unmarshal(raw, &doc) == nil && len(doc.Errors) > 0 {
		e.Code = doc.Errors[0].Code
		e.Title = doc.Errors[0].Title
		e.Detail = doc.Errors[0].Detail
		return e
	}
	text := strings.TrimSpace(string(raw))
	if runes := []rune(text); len(runes) > maxErrorDetail {
		text = string(runes[:maxErrorDetail]) + "…"
	}
	e.Detail = text
	return e
}

// IsNotFound reports whether err is an *Error with status 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}
