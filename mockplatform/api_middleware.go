package mockplatform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// apiFunc is a REST API handler. A returned error is written as a
// JSON:API errors document, so the handler must not have written a
// response when it returns one.
type apiFunc func(http.ResponseWriter, *http.Request) error

// api wraps h in the middleware every routed /v2 request passes, from
// the outside in: the request journal, panic recovery, bearer
// authentication, REST API fault rules, the Content-Type check and the
// body size limit.
func (p *Platform) api(h apiFunc) http.Handler {
	return p.apiFallback(func(w http.ResponseWriter, r *http.Request) error {
		if err := checkContentType(r); err != nil {
			return err
		}
		if r.ContentLength > p.opts.MaxBodyBytes {
			return bodyTooLarge(p.opts.MaxBodyBytes)
		}
		// A chunked body has no Content-Length, so the limit is also
		// enforced while reading.
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, p.opts.MaxBodyBytes)
		}
		return h(w, r)
	})
}

// apiFallback wraps h in the request journal, panic recovery, bearer
// authentication and REST API fault rules only. Unmatched requests use
// it, so that a POST to a wrong path gets 404 or 405 rather than a
// Content-Type error.
func (p *Platform) apiFallback(h apiFunc) http.Handler {
	var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			p.writeAPIError(w, r, err)
		}
	})
	next = p.injectAPIFaults(next)
	next = p.authenticate(next)
	next = p.recoverPanic(next)
	return p.journalRequest(next)
}

// writeAPIError logs err and writes it as the response. Client errors
// are logged at debug level because the request journal records them
// too, and server errors at error level.
func (p *Platform) writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	level := slog.LevelDebug
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Status() >= http.StatusInternalServerError {
		level = slog.LevelError
	}
	p.log.Log(r.Context(), level, "REST API request failed",
		"method", r.Method, "path", r.URL.Path, "tenant", tenantOf(r), "error", err)
	writeError(w, err)
}

// requestState is shared by the middleware of one request through its
// context.
type requestState struct {
	// seq is the request's sequence number in the request journal.
	seq int64
	// tenant is zero until authenticate accepts the bearer token.
	tenant int64
	// fault lists the ids of the fault rules that act on the request,
	// separated by commas.
	fault string
	// aborted is set when a fault rule closes the connection without a
	// response.
	aborted bool
	// staleAt is the platform time whose document state GET requests
	// show; zero means the current state.
	staleAt time.Time
}

type requestStateKey struct{}

// stateOf returns the request's state. A request that did not pass
// journalRequest gets a new, unshared state.
func stateOf(r *http.Request) *requestState {
	if st, ok := r.Context().Value(requestStateKey{}).(*requestState); ok {
		return st
	}
	return &requestState{}
}

// tenantOf returns the tenant of the request's bearer token.
func tenantOf(r *http.Request) int64 { return stateOf(r).tenant }

// statusRecorder remembers the status code a handler sends.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// journalRequest records every request in the request journal,
// including those rejected by the middleware after it. Header values
// are never recorded, because the Authorization header is a secret.
// The sequence number is taken when the request arrives, so the
// journal lists requests in arrival order and fault rules can use it
// as the request's key.
func (p *Platform) journalRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := p.clock.Now()
		// Latency is what the consumer waits, so it is measured on the
		// real clock, not in platform time.
		started := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		st := &requestState{seq: p.requests.reserve()}
		r = r.WithContext(context.WithValue(r.Context(), requestStateKey{}, st))

		// Deferred, so a request whose handler panics with
		// http.ErrAbortHandler is recorded too.
		defer func() {
			status := rec.status
			switch {
			case st.aborted:
				status = 0
			case status == 0:
				status = http.StatusOK
			}
			p.requests.put(st.seq, Request{
				Seq:        st.seq,
				Time:       at,
				Wall:       started,
				Method:     r.Method,
				Path:       r.URL.Path,
				Query:      r.URL.RawQuery,
				Tenant:     st.tenant,
				StatusCode: status,
				Latency:    time.Since(started),
				Fault:      st.fault,
			})
		}()
		next.ServeHTTP(rec, r)
	})
}

// recoverPanic writes a 500 error when a handler panics, so that a bug
// in the mock shows up as an error response and a log line rather than
// as a dropped connection. http.ErrAbortHandler is passed on, because it is
// how a handler asks net/http to abort the response.
func (p *Platform) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			p.log.Error("REST API handler panicked", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			// Once the status line is sent, the response cannot be
			// changed, so the client sees a truncated body.
			if rec.status == 0 {
				writeError(rec, errorf(CodeInternal, "Internal error",
					"the mock failed while handling %s %s: this is a bug in the mock, and its log has the stack trace", r.Method, r.URL.Path))
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// authenticate accepts a request whose Authorization header is
// "Bearer <token>" with a token of Options.Tokens and stores the
// token's tenant in the request state. Error details never repeat the
// header's value, because it may be a valid token of another system.
func (p *Platform) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, err := p.bearerTenant(r.Header.Get("Authorization"))
		if err != nil {
			// RFC 9110 requires a challenge on every 401.
			w.Header().Set("WWW-Authenticate", `Bearer realm="parashift-mock"`)
			p.writeAPIError(w, r, err)
			return
		}
		stateOf(r).tenant = tenant
		next.ServeHTTP(w, r)
	})
}

// bearerTenant returns the tenant of the token in an Authorization
// header value.
func (p *Platform) bearerTenant(header string) (int64, *Error) {
	const fix = "send the header Authorization: Bearer <token> with a token the mock was configured with"
	unauthorized := func(format string, args ...any) *Error {
		return errorf(CodeUnauthorized, "Unauthorized", format, args...)
	}
	if header == "" {
		return 0, unauthorized("the Authorization header is missing: %s", fix)
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return 0, unauthorized("the Authorization header does not use the Bearer scheme: %s", fix)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return 0, unauthorized("the Authorization header has no token after Bearer: %s", fix)
	}
	tenant, ok := p.opts.Tokens[token]
	if !ok {
		return 0, unauthorized("the bearer token is not valid for this mock: %s", fix)
	}
	return tenant, nil
}

// checkContentType accepts the JSON:API and the plain JSON media type,
// with any parameters such as charset, on requests with a body.
func checkContentType(r *http.Request) error {
	if r.Method != http.MethodPost && r.Method != http.MethodPatch {
		return nil
	}
	accepted := strings.Join(acceptedMediaTypes, " or ")
	raw := r.Header.Get("Content-Type")
	if raw == "" {
		return errorf(CodeUnsupportedMedia, "Unsupported media type",
			"the Content-Type header is missing: send Content-Type: %s", accepted)
	}
	mediaType, _, err := mime.ParseMediaType(raw)
	if err != nil || !slices.Contains(acceptedMediaTypes, mediaType) {
		return errorf(CodeUnsupportedMedia, "Unsupported media type",
			"Content-Type %s is not supported: send Content-Type: %s", quoteShort(raw), accepted)
	}
	return nil
}

func bodyTooLarge(limit int64) *Error {
	return errorf(CodeBodyTooLarge, "Request body too large",
		"the request body is larger than the limit of %d bytes: send a smaller body or raise the mock's maximum body size", limit)
}

// readBody reads the request body within the limit that api set.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, bodyTooLarge(tooLarge.Limit)
	}
	if err != nil {
		return nil, errorf(CodeInvalidBody, "Invalid request body", "reading the request body failed: %v", err)
	}
	return body, nil
}
