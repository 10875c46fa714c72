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
func (p *Platform) routes() http.Handler {
	r := mux.NewRouter()
	p.apiRoutes(r.PathPrefix("/v2").Subrouter())
	p.controlRoutes(r.PathPrefix("/_mock").Subrouter())
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeError(w, errorf(CodeNotFound, "Not found",
			"no route for %s %s: the REST API is under /v2 and the control API under /_mock", req.Method, req.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeError(w, errorf(CodeMethodNotAllowed, "Method not allowed",
			"%s is not allowed on %s", req.Method, req.URL.Path))
	})
	return r
}

// decodeStrict decodes one JSON value from b into v, rejecting unknown
// object members and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}
