package mockplatform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

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
	top.Handle("/v2/", api)
	top.Handle("/_mock/", control)
	top.HandleFunc("/", notFound)
	return top
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
