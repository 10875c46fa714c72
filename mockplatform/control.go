package mockplatform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// maxControlBody bounds a control API request body.
const maxControlBody = 1 << 20

// controlRoutes serves the control API, which tests and tools use to
// configure the platform and read its journals. It speaks plain JSON
// and has no authentication: bind the platform to loopback or a test
// network.
func (p *Platform) controlRoutes(r *mux.Router) {
	r.HandleFunc("/_mock/health", p.handleHealth).Methods(http.MethodGet)
	r.HandleFunc("/_mock/subscriptions", p.handleListSubscriptions).Methods(http.MethodGet)
	r.HandleFunc("/_mock/subscriptions", p.handleAddSubscription).Methods(http.MethodPost)
	r.HandleFunc("/_mock/subscriptions/{id}", p.handleDeleteSubscription).Methods(http.MethodDelete)
	r.HandleFunc("/_mock/profiles", p.handleListProfiles).Methods(http.MethodGet)
	r.HandleFunc("/_mock/profiles", p.handleAddProfile).Methods(http.MethodPost)
	r.HandleFunc("/_mock/documents", p.handleControlUpload).Methods(http.MethodPost)
	r.HandleFunc("/_mock/documents", p.handleControlDocuments).Methods(http.MethodGet)
	r.HandleFunc("/_mock/documents/{id}", p.handleControlDocument).Methods(http.MethodGet)
	r.HandleFunc("/_mock/rules", p.handleListRules).Methods(http.MethodGet)
	r.HandleFunc("/_mock/rules", p.handleAddRule).Methods(http.MethodPost)
	r.HandleFunc("/_mock/rules/{id}", p.handleDeleteRule).Methods(http.MethodDelete)
	r.HandleFunc("/_mock/effects", p.handleListEffects).Methods(http.MethodGet)
	r.HandleFunc("/_mock/effects", p.handleRecordEffect).Methods(http.MethodPost)
	r.HandleFunc("/_mock/events", p.handleEvents).Methods(http.MethodGet)
	r.HandleFunc("/_mock/deliveries", p.handleDeliveries).Methods(http.MethodGet)
	r.HandleFunc("/_mock/requests", p.handleRequests).Methods(http.MethodGet)
	r.HandleFunc("/_mock/clock", p.handleClock).Methods(http.MethodGet)
	r.HandleFunc("/_mock/clock/advance", p.handleAdvance).Methods(http.MethodPost)
	r.HandleFunc("/_mock/idle", p.handleIdle).Methods(http.MethodGet)
}

// writeControl writes v as plain JSON.
func writeControl(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, "application/json", v)
}

// readControlBody decodes the request body strictly into v.
func readControlBody(r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxControlBody))
	if err != nil {
		return errorf(CodeBodyTooLarge, "Body too large", "the control API accepts bodies up to %d bytes", maxControlBody)
	}
	if err := decodeStrict(b, v); err != nil {
		return errorf(CodeInvalidBody, "Invalid body", "%s", describeDecodeError(err))
	}
	return nil
}

// describeDecodeError rewords a type error of encoding/json, which
// names Go types, in terms of the JSON member and the value it needs.
func describeDecodeError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		return err.Error()
	}
	want := typeErr.Type.Kind().String()
	hint := ""
	if typeErr.Type.Kind() == reflect.String {
		want = "string"
		hint = `: durations are strings with a unit, such as "500ms" or "5s"`
	}
	return fmt.Sprintf("member %q is a %s, want a %s%s", typeErr.Field, typeErr.Value, want, hint)
}

func (p *Platform) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeControl(w, http.StatusOK, map[string]string{"status": "ok"})
}

// maskedSubscription returns s with every header value masked, because
// custom headers carry the consumer's credentials, and with any
// password or secret-looking query value in its URL masked.
func maskedSubscription(s Subscription) Subscription {
	s.URL = redactURL(s.URL)
	if len(s.Headers) > 0 {
		hs := make(map[string]string, len(s.Headers))
		for k := range s.Headers {
			hs[k] = MaskedValue
		}
		s.Headers = hs
	}
	return s
}

func (p *Platform) handleListSubscriptions(w http.ResponseWriter, r *http.Request) {
	subs := p.Subscriptions()
	for i := range subs {
		subs[i] = maskedSubscription(subs[i])
	}
	writeControl(w, http.StatusOK, map[string]any{"subscriptions": subs})
}

func (p *Platform) handleAddSubscription(w http.ResponseWriter, r *http.Request) {
	var s Subscription
	if err := readControlBody(r, &s); err != nil {
		writeError(w, err)
		return
	}
	added, err := p.AddSubscription(s)
	if err != nil {
		writeError(w, errorf(CodeInvalidBody, "Invalid subscription", "%v", err))
		return
	}
	writeControl(w, http.StatusCreated, maskedSubscription(added))
}

func (p *Platform) handleDeleteSubscription(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	if !p.RemoveSubscription(id) {
		writeError(w, errorf(CodeNotFound, "Not found", "no subscription with id %q: GET /_mock/subscriptions lists them", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (p *Platform) handleListProfiles(w http.ResponseWriter, r *http.Request) {
	writeControl(w, http.StatusOK, map[string]any{"profiles": p.Profiles()})
}

func (p *Platform) handleAddProfile(w http.ResponseWriter, r *http.Request) {
	var pr Profile
	if err := readControlBody(r, &pr); err != nil {
		writeError(w, err)
		return
	}
	if err := p.AddProfile(pr); err != nil {
		writeError(w, errorf(CodeInvalidBody, "Invalid profile", "%v", err))
		return
	}
	writeControl(w, http.StatusCreated, pr)
}

func (p *Platform) handleListRules(w http.ResponseWriter, r *http.Request) {
	writeControl(w, http.StatusOK, map[string]any{"rules": p.Rules()})
}

func (p *Platform) handleAddRule(w http.ResponseWriter, r *http.Request) {
	var rule Rule
	if err := readControlBody(r, &rule); err != nil {
		writeError(w, err)
		return
	}
	added, err := p.AddRule(rule)
	if err != nil {
		writeError(w, errorf(CodeInvalidBody, "Invalid rule", "%v", err))
		return
	}
	writeControl(w, http.StatusCreated, added)
}

func (p *Platform) handleDeleteRule(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	if !p.RemoveRule(id) {
		writeError(w, errorf(CodeNotFound, "Not found", "no rule with id %q: GET /_mock/rules lists them", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (p *Platform) handleRecordEffect(w http.ResponseWriter, r *http.Request) {
	var e Effect
	if err := readControlBody(r, &e); err != nil {
		writeError(w, err)
		return
	}
	if e.Seq != 0 || !e.Time.IsZero() || !e.Wall.IsZero() {
		writeError(w, errorf(CodeInvalidBody, "Invalid effect", "seq, time and wall_time are set by the platform: leave them out"))
		return
	}
	stored, err := p.RecordEffect(e)
	if err != nil {
		writeError(w, errorf(CodeInvalidBody, "Invalid effect", "%v", err))
		return
	}
	writeControl(w, http.StatusCreated, stored)
}

func (p *Platform) handleListEffects(w http.ResponseWriter, r *http.Request) {
	f, err := parseJournalFilter(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if f.subscription != "" {
		writeError(w, &Error{Code: CodeInvalidParameter, Title: "Unknown parameter", Parameter: "subscription",
			Detail: "effects belong to no subscription: filter them by document or topic"})
		return
	}
	all, dropped := p.Effects()
	out := []Effect{}
	for _, e := range all {
		if f.match(e.DocumentID, "", e.Topic) {
			out = append(out, e)
		}
	}
	writeControl(w, http.StatusOK, map[string]any{"effects": out, "dropped": dropped})
}

// ControlUpload is the body of POST /_mock/documents: documents the
// platform creates as if a client had uploaded them.
type ControlUpload struct {
	// Count is how many documents to create, 1 to MaxControlUploads;
	// zero means one.
	Count int `json:"count,omitempty"`
	// TenantID is the owner; zero means the smallest tenant id that
	// has a bearer token.
	TenantID           int64          `json:"tenant_id,omitempty"`
	Name               string         `json:"name,omitempty"`
	ExternalID         string         `json:"external_id,omitempty"`
	CustomFields       map[string]any `json:"custom_fields,omitempty"`
	ValidationRequired bool           `json:"validation_required,omitempty"`
	// Profile is the workflow profile; empty means
	// custom_fields.mock_profile, else the default profile.
	Profile string `json:"profile,omitempty"`
}

// MaxControlUploads bounds the count of one POST /_mock/documents.
const MaxControlUploads = 100_000

func (p *Platform) handleControlUpload(w http.ResponseWriter, r *http.Request) {
	var in ControlUpload
	if err := readControlBody(r, &in); err != nil {
		writeError(w, err)
		return
	}
	if in.Count == 0 {
		in.Count = 1
	}
	if in.Count < 0 || in.Count > MaxControlUploads {
		writeError(w, errorf(CodeInvalidBody, "Invalid count", "count %d is out of range: use 1 to %d", in.Count, MaxControlUploads))
		return
	}
	if in.TenantID == 0 {
		in.TenantID = p.anyTenant()
	}
	if !p.knownTenant(in.TenantID) {
		writeError(w, errorf(CodeInvalidBody, "Invalid tenant", "tenant_id %d has no bearer token, so no consumer could read its documents: use a tenant of the platform's tokens or leave it out", in.TenantID))
		return
	}
	docs := make([]Document, 0, in.Count)
	for range in.Count {
		doc, err := p.Upload(Upload{
			TenantID: in.TenantID, Name: in.Name, ExternalID: in.ExternalID,
			CustomFields: in.CustomFields, ValidationRequired: in.ValidationRequired,
			Profile: in.Profile,
		})
		if err != nil {
			writeError(w, errorf(CodeInvalidBody, "Invalid document", "%v", err))
			return
		}
		docs = append(docs, doc)
	}
	writeControl(w, http.StatusCreated, map[string]any{"documents": docs})
}

// anyTenant returns the smallest tenant id that has a token.
func (p *Platform) anyTenant() int64 {
	var min int64
	for _, t := range p.opts.Tokens {
		if min == 0 || t < min {
			min = t
		}
	}
	return min
}

// knownTenant reports whether a bearer token belongs to the tenant.
func (p *Platform) knownTenant(tenant int64) bool {
	for _, t := range p.opts.Tokens {
		if t == tenant {
			return true
		}
	}
	return false
}

func (p *Platform) handleControlDocuments(w http.ResponseWriter, r *http.Request) {
	writeControl(w, http.StatusOK, map[string]any{"documents": p.Documents()})
}

func (p *Platform) handleControlDocument(w http.ResponseWriter, r *http.Request) {
	raw := mux.Vars(r)["id"]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		writeError(w, errorf(CodeInvalidParameter, "Invalid id", "document id %q is not an integer", raw))
		return
	}
	d, ok := p.Document(id)
	if !ok {
		writeError(w, errorf(CodeNotFound, "Not found", "no document with id %d", id))
		return
	}
	writeControl(w, http.StatusOK, d)
}

// journalFilter selects journal records by the query parameters
// document, subscription and topic. A zero field matches everything.
type journalFilter struct {
	document     int64
	subscription string
	topic        Topic
}

// parseJournalFilter reads the filter parameters and rejects any other
// parameter, so a misspelled filter is not silently ignored.
func parseJournalFilter(r *http.Request, extra ...string) (journalFilter, error) {
	var f journalFilter
	allowed := append([]string{"document", "subscription", "topic"}, extra...)
	for name, vals := range r.URL.Query() {
		if len(vals) > 1 {
			return f, &Error{Code: CodeInvalidParameter, Title: "Repeated parameter", Parameter: name,
				Detail: fmt.Sprintf("parameter %q is given %d times: give it once", name, len(vals))}
		}
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			return f, &Error{Code: CodeInvalidParameter, Title: "Unknown parameter", Parameter: name,
				Detail: fmt.Sprintf("parameter %q is not supported here: use %v", name, allowed)}
		}
	}
	q := r.URL.Query()
	if s := q.Get("document"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return f, &Error{Code: CodeInvalidParameter, Title: "Invalid parameter", Parameter: "document",
				Detail: fmt.Sprintf("document %q is not an integer id", s)}
		}
		f.document = id
	}
	f.subscription = q.Get("subscription")
	if s := q.Get("topic"); s != "" {
		t, err := ParseTopic(s)
		if err != nil {
			return f, &Error{Code: CodeInvalidParameter, Title: "Invalid parameter", Parameter: "topic", Detail: err.Error()}
		}
		f.topic = t
	}
	return f, nil
}

func (f journalFilter) match(doc int64, sub string, topic Topic) bool {
	return (f.document == 0 || f.document == doc) &&
		(f.subscription == "" || f.subscription == sub) &&
		(f.topic == "" || f.topic == topic)
}

func (p *Platform) handleEvents(w http.ResponseWriter, r *http.Request) {
	f, err := parseJournalFilter(r, "state")
	if err != nil {
		writeError(w, err)
		return
	}
	state := EventState(r.URL.Query().Get("state"))
	switch state {
	case "", EventPending, EventDelivered, EventLost, EventDropped:
	default:
		writeError(w, &Error{Code: CodeInvalidParameter, Title: "Invalid parameter", Parameter: "state",
			Detail: fmt.Sprintf("state %q is unknown: use pending, delivered, lost or dropped", state)})
		return
	}
	out := []Event{}
	events, dropped := p.events.snapshot()
	for _, e := range events {
		if f.match(e.DocumentID, e.Subscription, e.Topic) && (state == "" || state == e.State) {
			out = append(out, e)
		}
	}
	writeControl(w, http.StatusOK, map[string]any{"events": out, "dropped": dropped})
}

func (p *Platform) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	f, err := parseJournalFilter(r)
	if err != nil {
		writeError(w, err)
		return
	}
	all, dropped := p.Deliveries()
	out := []Delivery{}
	for _, d := range all {
		if f.match(d.DocumentID, d.Subscription, d.Topic) {
			out = append(out, d)
		}
	}
	writeControl(w, http.StatusOK, map[string]any{"deliveries": out, "dropped": dropped})
}

// handleRequests lists the REST API request journal, filtered by the
// document a path names when the document parameter is given.
func (p *Platform) handleRequests(w http.ResponseWriter, r *http.Request) {
	f, err := parseJournalFilter(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if f.subscription != "" || f.topic != "" {
		writeError(w, &Error{Code: CodeInvalidParameter, Title: "Unknown parameter", Parameter: "topic",
			Detail: "REST API requests have no subscription or topic: filter them by document"})
		return
	}
	all, dropped := p.Requests()
	out := []Request{}
	for _, req := range all {
		if f.document == 0 || req.Path == fmt.Sprintf("/v2/documents/%d", f.document) {
			out = append(out, req)
		}
	}
	writeControl(w, http.StatusOK, map[string]any{"requests": out, "dropped": dropped})
}

// ClockInfo is the state of the platform's clock as GET /_mock/clock
// returns it. Factor is set for a scaled clock only.
type ClockInfo struct {
	Now    time.Time `json:"now"`
	Kind   string    `json:"kind"`
	Factor float64   `json:"factor,omitempty"`
}

func (p *Platform) clockInfo() ClockInfo {
	info := ClockInfo{Now: p.clock.Now(), Kind: "real"}
	switch c := p.clock.(type) {
	case *clock.Manual:
		info.Kind = "manual"
	case *clock.Scaled:
		info.Kind = "scaled"
		info.Factor = c.Factor()
	}
	return info
}

func (p *Platform) handleClock(w http.ResponseWriter, r *http.Request) {
	writeControl(w, http.StatusOK, p.clockInfo())
}

func (p *Platform) handleAdvance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Duration string `json:"duration"`
	}
	if err := readControlBody(r, &in); err != nil {
		writeError(w, err)
		return
	}
	d, err := time.ParseDuration(in.Duration)
	if err != nil || d < 0 {
		writeError(w, &Error{Code: CodeInvalidBody, Title: "Invalid duration", Pointer: "/duration",
			Detail: fmt.Sprintf("duration %q is not a non-negative Go duration: use a value such as \"90s\" or \"17h\"", in.Duration)})
		return
	}
	if _, ok := p.clock.(*clock.Manual); !ok {
		writeError(w, errorf(CodeConflict, "Clock not manual",
			"the platform runs on a %s clock, which cannot be advanced: start it with the manual clock", p.clockInfo().Kind))
		return
	}
	if err := p.Advance(r.Context(), d); err != nil {
		writeError(w, err)
		return
	}
	writeControl(w, http.StatusOK, p.clockInfo())
}

// handleIdle waits until the platform is idle or the timeout parameter
// (a Go duration, 10s by default) passes, and reports which happened.
func (p *Platform) handleIdle(w http.ResponseWriter, r *http.Request) {
	timeout := 10 * time.Second
	for name, vals := range r.URL.Query() {
		if name != "timeout" {
			writeError(w, &Error{Code: CodeInvalidParameter, Title: "Unknown parameter", Parameter: name,
				Detail: fmt.Sprintf("parameter %q is not supported here: use timeout", name)})
			return
		}
		d, err := time.ParseDuration(vals[0])
		if err != nil || d <= 0 {
			writeError(w, &Error{Code: CodeInvalidParameter, Title: "Invalid parameter", Parameter: "timeout",
				Detail: fmt.Sprintf("timeout %q is not a positive Go duration such as \"30s\"", vals[0])})
			return
		}
		timeout = d
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	err := p.WaitIdle(ctx)
	writeControl(w, http.StatusOK, map[string]bool{"idle": err == nil})
}
