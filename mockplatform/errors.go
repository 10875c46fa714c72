package mockplatform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// MediaType is the JSON:API media type the REST API speaks.
const MediaType = "application/vnd.api+json"

// ErrorCode classifies an API error. Each code maps to one HTTP status in
// errorStatus.
type ErrorCode string

// The error codes the REST API and the control API return.
const (
	CodeUnauthorized     ErrorCode = "unauthorized"
	CodeNotFound         ErrorCode = "not_found"
	CodeInvalidParameter ErrorCode = "invalid_parameter"
	CodeInvalidBody      ErrorCode = "invalid_body"
	CodeBodyTooLarge     ErrorCode = "payload_too_large"
	CodeUnsupportedMedia ErrorCode = "unsupported_media_type"
	CodeMethodNotAllowed ErrorCode = "method_not_allowed"
	CodeConflict         ErrorCode = "conflict"
	CodeInternal         ErrorCode = "internal_error"

	// Only fault rules of kind FaultStatus return the codes below.
	CodeTooManyRequests    ErrorCode = "too_many_requests"
	CodeBadGateway         ErrorCode = "bad_gateway"
	CodeServiceUnavailable ErrorCode = "service_unavailable"
	CodeGatewayTimeout     ErrorCode = "gateway_timeout"
)

var errorStatus = map[ErrorCode]int{
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeNotFound:         http.StatusNotFound,
	CodeInvalidParameter: http.StatusBadRequest,
	CodeInvalidBody:      http.StatusBadRequest,
	CodeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	CodeUnsupportedMedia: http.StatusUnsupportedMediaType,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeConflict:         http.StatusConflict,
	CodeInternal:         http.StatusInternalServerError,

	CodeTooManyRequests:    http.StatusTooManyRequests,
	CodeBadGateway:         http.StatusBadGateway,
	CodeServiceUnavailable: http.StatusServiceUnavailable,
	CodeGatewayTimeout:     http.StatusGatewayTimeout,
}

// Error is an API error: the one error type handlers return, written as a
// JSON:API errors document.
type Error struct {
	Code   ErrorCode
	Title  string
	Detail string
	// Pointer is the JSON pointer of the offending body member, such as
	// "/data/attributes/files/0/base64_file"; empty when the error is
	// not about the body.
	Pointer string
	// Parameter is the offending query parameter; empty when the error
	// is not about the query.
	Parameter string
}

func (e *Error) Error() string {
	switch {
	case e.Pointer != "":
		return fmt.Sprintf("%s: %s (%s)", e.Title, e.Detail, e.Pointer)
	case e.Parameter != "":
		return fmt.Sprintf("%s: %s (parameter %s)", e.Title, e.Detail, e.Parameter)
	}
	return e.Title + ": " + e.Detail
}

// Status returns the HTTP status for the error's code.
func (e *Error) Status() int {
	if s, ok := errorStatus[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

func errorf(code ErrorCode, title, format string, args ...any) *Error {
	return &Error{Code: code, Title: title, Detail: fmt.Sprintf(format, args...)}
}

// errorObject is one member of a JSON:API errors array.
type errorObject struct {
	Status string       `json:"status"`
	Code   ErrorCode    `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Source *errorSource `json:"source,omitempty"`
}

type errorSource struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
}

// writeError writes err as a JSON:API errors document. An error that
// is not an *Error becomes a 500 whose detail is the error text.
func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(CodeInternal, "Internal error", "%v", err)
	}
	obj := errorObject{
		Status: fmt.Sprint(e.Status()),
		Code:   e.Code,
		Title:  e.Title,
		Detail: e.Detail,
	}
	if e.Pointer != "" || e.Parameter != "" {
		obj.Source = &errorSource{Pointer: e.Pointer, Parameter: e.Parameter}
	}
	writeJSON(w, e.Status(), map[string]any{"errors": []errorObject{obj}})
}

// writeJSON writes v as a JSON:API document with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, MediaType, v)
}

// writeBody writes v encoded as JSON with the given status and
// Content-Type. HTML escaping is off because no response is embedded
// in HTML, and escaped links and details are harder to read.
func writeBody(w http.ResponseWriter, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value written here is built from plain structs and
		// decoded JSON, so this is a programming error.
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"errors":[{"status":"500","code":"internal_error","title":"Internal error","detail":"encoding the response failed"}]}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
