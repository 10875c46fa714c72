package mockplatform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// routes returns the platform's handler: the REST API under /v2 and
// the control API under /_mock. Any other path gets a JSON:API 404 that
// names it, so a misconfigured client learns of its mistake.
//
// Each part gets a root router of its own rather than a subrouter,
// because gorilla/mux v1.8.1 answers 404 instead of 405 when a
// subrouter's path matches with another method.
func (p *Platform) routes() http.Handler {
	api := mux.NewRouter()
	p.apiRoutes(api)
	control := mux.NewRouter()
	p.controlRoutes(control)
	for _, router := range []*mux.Router{api, control} {
		router.NotFoundHandler = http.HandlerFunc(notFound)
		router.MethodNotAllowedHandler = http.HandlerFunc(methodNotAllowed)
	}
	top := http.NewServeMux()
	top.Handle("/v2/", p.showFastRoute(api))
	top.Handle("/_mock/", control)
	top.HandleFunc("/", notFound)
	return top
}

// showFastRoute returns a handler that serves GET /v2/documents/{id}
// with a numeric id through the same middleware as the router, but
// without gorilla/mux, whose matching, variables map and request copy
// cost a few microseconds per request in BenchmarkShowDocument. Every
// other request goes to router, which would route the numeric GET the
// same way.
func (p *Platform) showFastRoute(router http.Handler) http.Handler {
	show := p.api(p.showDocument)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			raw, ok := strings.CutPrefix(r.URL.Path, "/v2/documents/")
			if ok && raw != "" && strings.Trim(raw, "0123456789") == "" {
				show.ServeHTTP(w, r)
				return
			}
		}
		router.ServeHTTP(w, r)
	})
}

func notFound(w http.ResponseWriter, req *http.Request) {
	writeError(w, errorf(CodeNotFound, "Not found",
		"no route for %s %s: the REST API is under /v2 and the control API under /_mock", req.Method, req.URL.Path))
}

func methodNotAllowed(w http.ResponseWriter, req *http.Request) {
	writeError(w, errorf(CodeMethodNotAllowed, "Method not allowed",
		"%s is not allowed on %s", req.Method, req.URL.Path))
}

// decodeStrict decodes one JSON value from b into v, rejecting unknown
// object members and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}
