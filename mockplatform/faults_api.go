package mockplatform

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiFaultPlan is the effect of the fault rules that fired for one
// request. Latency comes first. Then the first status, reset or hang
// rule acts, or, when none fired, the first stale rule. A rule that
// fired but is shadowed this way still counts as fired in
// Platform.Rules, but does not appear in the request journal.
type apiFaultPlan struct {
	// latency is the sum of the delays of the latency rules.
	latency time.Duration
	// action is the first status, reset or hang rule; nil when none
	// fired.
	action *Rule
	// stale is the first stale rule; nil when none fired or when
	// action is set.
	stale *Rule
	// applied are the ids of the rules that act, in the order they
	// were added.
	applied []string
}

func planAPIFaults(fired []Rule) apiFaultPlan {
	var plan apiFaultPlan
	action, stale := -1, -1
	for i, r := range fired {
		switch {
		case r.Fault == FaultLatency:
			plan.latency += r.Delay
		case r.Fault == FaultStale:
			if stale < 0 {
				stale = i
			}
		case action < 0:
			action = i
		}
	}
	if action >= 0 {
		stale = -1
		plan.action = &fired[action]
	}
	if stale >= 0 {
		plan.stale = &fired[stale]
	}
	for i, r := range fired {
		if r.Fault == FaultLatency || i == action || i == stale {
			plan.applied = append(plan.applied, r.ID)
		}
	}
	return plan
}

// injectAPIFaults applies the REST API fault rules that fire for the
// request. It runs after authentication, so a request without a valid
// token is never faulted, and before the handler, so a faulted request
// changes nothing on the platform unless it is only delayed or stale.
func (p *Platform) injectAPIFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.rules.hasActive(false) {
			next.ServeHTTP(w, r)
			return
		}
		st := stateOf(r)
		s := p.requestSubject(r, st)
		plan := planAPIFaults(p.rules.decide(s, false, p.since(), apiFaultKinds(r, s)...))
		if len(plan.applied) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		st.fault = strings.Join(plan.applied, ",")
		p.log.Info("REST API request faulted", "rules", st.fault, "seq", st.seq,
			"method", r.Method, "path", r.URL.Path, "tenant", st.tenant)

		if plan.latency > 0 && !p.delayRequest(w, r, plan.latency) {
			return
		}
		if a := plan.action; a != nil {
			switch a.Fault {
			case FaultStatus:
				writeStatusFault(w, *a, time.Now())
			case FaultReset:
				p.closeConnection(w, r)
			case FaultHang:
				p.hang(w, r, *a)
			}
			return
		}
		if plan.stale != nil {
			st.staleAt = p.clock.Now().Add(-plan.stale.Delay)
		}
		next.ServeHTTP(w, r)
	})
}

// requestSubject returns what the fault rules match the request
// against. The document is the one the path names. Its external_id is
// matched only when the document belongs to the request's tenant,
// because the request gets 404 otherwise. A list request matches the
// value of its filter[external_id] parameter.
func (p *Platform) requestSubject(r *http.Request, st *requestState) subject {
	s := subject{
		document: pathDocumentID(r.URL.Path),
		method:   r.Method,
		path:     r.URL.Path,
		key:      fmt.Sprintf("request/%d", st.seq),
	}
	if s.document != 0 {
		if tenant, externalID, ok := p.store.owner(s.document); ok && tenant == st.tenant {
			s.externalID = externalID
		}
	} else if r.URL.Path == "/v2/documents" {
		// An invalid query is reported by the handler.
		q, _ := url.ParseQuery(r.URL.RawQuery)
		s.externalID = q.Get("filter[external_id]")
	}
	return s
}

// apiFaultKinds returns the fault kinds that can act on the request.
// Stale rules are decided only for the reads they change, GET of one
// document and of the list, so that their counters count only those.
func apiFaultKinds(r *http.Request, s subject) []FaultKind {
	kinds := []FaultKind{FaultStatus, FaultLatency, FaultReset, FaultHang}
	if r.Method == http.MethodGet && (s.document != 0 || r.URL.Path == "/v2/documents") {
		kinds = append(kinds, FaultStale)
	}
	return kinds
}

// pathDocumentID returns the document id in a path of the form
// /v2/documents/{id}, or zero when the path has another form. It
// accepts the same ids as documentID.
func pathDocumentID(path string) int64 {
	raw, ok := strings.CutPrefix(path, "/v2/documents/")
	if !ok {
		return 0
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0
	}
	return id
}

// delayRequest holds the request for d of real time and reports
// whether the handler should still respond. When the client gives up
// first, it closes the connection and returns false. When the platform
// shuts down first, it returns true at once, because Shutdown lets
// requests in flight finish.
//
// NOTE: net/http notices that a client gave up only after the request
// body has been read, so a POST or PATCH whose client gives up is held
// for all of d.
func (p *Platform) delayRequest(w http.ResponseWriter, r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.stopping:
		return true
	case <-r.Context().Done():
		p.log.Info("REST API client gave up during injected latency",
			"seq", stateOf(r).seq, "method", r.Method, "path", r.URL.Path, "error", r.Context().Err())
		p.closeConnection(w, r)
		return false
	}
}

// writeStatusFault writes rule's status and a JSON:API error as the
// response. now is the wall-clock time that a Retry-After date counts
// from.
func writeStatusFault(w http.ResponseWriter, rule Rule, now time.Time) {
	code, title := CodeInternal, "Internal error"
	switch rule.Status {
	case http.StatusNotFound:
		code, title = CodeNotFound, "Not found"
	case http.StatusTooManyRequests:
		code, title = CodeTooManyRequests, "Too many requests"
		w.Header().Set("Retry-After", retryAfter(rule, now))
	case http.StatusBadGateway:
		code, title = CodeBadGateway, "Bad gateway"
	case http.StatusServiceUnavailable:
		code, title = CodeServiceUnavailable, "Service unavailable"
	case http.StatusGatewayTimeout:
		code, title = CodeGatewayTimeout, "Gateway timeout"
	}
	writeError(w, errorf(code, title,
		"status %d injected by fault rule %s: the mock did not process the request", rule.Status, rule.ID))
}

// retryAfter returns the Retry-After value of a 429: whole seconds,
// rounded up and at least 1, or with RetryAfterDate an HTTP date.
func retryAfter(rule Rule, now time.Time) string {
	if rule.RetryAfterDate {
		at := now.Add(rule.RetryAfter)
		// An HTTP date has whole seconds. Rounding up keeps the date
		// from asking for a shorter wait than RetryAfter.
		if whole := at.Truncate(time.Second); whole.Before(at) {
			at = whole.Add(time.Second)
		}
		return at.UTC().Format(http.TimeFormat)
	}
	seconds := (rule.RetryAfter + time.Second - 1) / time.Second
	return strconv.FormatInt(max(1, int64(seconds)), 10)
}

// hang holds the request without a response until the client gives up,
// the platform shuts down, or rule.Delay passes when it is set, and
// then closes the connection as closeConnection does.
func (p *Platform) hang(w http.ResponseWriter, r *http.Request, rule Rule) {
	// net/http notices that the client gave up only after the request
	// body has been read to its end, so the body is read and discarded
	// while the request is held.
	drained := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, r.Body)
		drained <- err
	}()
	var timeout <-chan time.Time
	if rule.Delay > 0 {
		t := time.NewTimer(rule.Delay)
		defer t.Stop()
		timeout = t.C
	}

	reason := ""
	for reason == "" {
		select {
		case err := <-drained:
			drained = nil
			if err != nil {
				reason = "reading the request body failed: " + err.Error()
			}
		case <-r.Context().Done():
			reason = "the client gave up"
		case <-p.stopping:
			reason = "the platform shut down"
		case <-timeout:
			reason = "the delay passed"
		}
	}
	if drained != nil {
		// A past read deadline ends the pending read, so the
		// connection is not closed under it.
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now()); err != nil {
			p.log.Debug("ending the request body read failed", "seq", stateOf(r).seq, "error", err)
		}
		<-drained
	}
	p.log.Info("REST API hang ended", "rule", rule.ID, "reason", reason,
		"seq", stateOf(r).seq, "method", r.Method, "path", r.URL.Path)
	p.closeConnection(w, r)
}

// closeConnection closes the request's connection without a response.
// On TCP it sets a linger time of zero first, so the close sends a RST
// and the client sees "connection reset by peer" rather than an
// orderly end of the stream. A connection that cannot be hijacked,
// such as an HTTP/2 stream, is aborted with http.ErrAbortHandler, which
// net/http turns into a stream reset or a closed connection.
//
// NOTE: Go's http.Transport silently repeats a GET whose reused
// keep-alive connection fails before any response byte, so a Go client
// may see the next decision of the rules instead of the reset.
func (p *Platform) closeConnection(w http.ResponseWriter, r *http.Request) {
	st := stateOf(r)
	st.aborted = true
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		p.log.Debug("hijacking the connection failed, aborting the handler instead", "seq", st.seq, "error", err)
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		if err := tcp.SetLinger(0); err != nil {
			p.log.Debug("setting linger on the connection failed", "seq", st.seq, "error", err)
		}
	}
	if err := conn.Close(); err != nil {
		p.log.Debug("closing the connection failed", "seq", st.seq, "error", err)
	}
}
