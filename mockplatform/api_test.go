package mockplatform_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// Bearer tokens of the two tenants every API test platform has.
const (
	apiTokenA  = "token-of-tenant-one"
	apiTokenB  = "token-of-tenant-two"
	apiTenantA = 1
	apiTenantB = 2
)

// apiEpoch is the manual clock's start in API tests.
var apiEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// apiServer is a running platform on a manual clock, with an HTTP
// client of its own so its connections close with the test.
type apiServer struct {
	p      *mockplatform.Platform
	client *http.Client
}

// startAPI starts a platform with two tenants and a manual clock unless
// opts sets its own tokens or clock.
func startAPI(tb testing.TB, opts mockplatform.Options) *apiServer {
	tb.Helper()
	if opts.Clock == nil {
		opts.Clock = clock.NewManual(apiEpoch)
	}
	if opts.Tokens == nil {
		opts.Tokens = map[string]int64{apiTokenA: apiTenantA, apiTokenB: apiTenantB}
	}
	p, err := mockplatform.Start(opts)
	if err != nil {
		tb.Fatalf("Start: %v", err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	tb.Cleanup(func() {
		transport.CloseIdleConnections()
		if err := p.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return &apiServer{p: p, client: &http.Client{Transport: transport, Timeout: 10 * time.Second}}
}

// apiResponse is a response read in full.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// send sends req and reads the response.
func (s *apiServer) send(tb testing.TB, req *http.Request) apiResponse {
	tb.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: body}
}

// request builds a request to the platform. An empty token sends no
// Authorization header, and an empty contentType no Content-Type.
func (s *apiServer) request(tb testing.TB, token, method, path, contentType string, body io.Reader) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(method, s.p.URL()+path, body)
	if err != nil {
		tb.Fatalf("NewRequest(%s %s): %v", method, path, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// do sends a request with an optional body.
func (s *apiServer) do(tb testing.TB, token, method, path, contentType, body string) apiResponse {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return s.send(tb, s.request(tb, token, method, path, contentType, r))
}

func (s *apiServer) get(tb testing.TB, token, path string) apiResponse {
	tb.Helper()
	return s.do(tb, token, http.MethodGet, path, "", "")
}

// create posts a document with the given attributes object as token's
// tenant and returns its id.
func (s *apiServer) create(tb testing.TB, token, attributes string) string {
	tb.Helper()
	body := `{"data":{"type":"documents","attributes":` + attributes + `}}`
	resp := s.do(tb, token, http.MethodPost, "/v2/documents", mockplatform.MediaType, body)
	if resp.status != http.StatusCreated {
		tb.Fatalf("POST /v2/documents status = %d, want 201; body: %s", resp.status, resp.body)
	}
	var doc apiSingle
	resp.decode(tb, &doc)
	return doc.Data.ID
}

// advance moves the platform's manual clock.
func (s *apiServer) advance(tb testing.TB, d time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.p.Advance(ctx, d); err != nil {
		tb.Fatalf("Advance(%s): %v", d, err)
	}
}

func (r apiResponse) decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("decode response %s: %v", r.body, err)
	}
}

// apiResource is a JSON:API resource object as a client decodes it.
type apiResource struct {
	ID            string                     `json:"id"`
	Type          string                     `json:"type"`
	Attributes    map[string]any             `json:"attributes"`
	Relationships map[string]apiRelationship `json:"relationships"`
	Links         map[string]string          `json:"links"`
}

type apiRelationship struct {
	Data []struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"data"`
}

type apiSingle struct {
	Data     apiResource   `json:"data"`
	Included []apiResource `json:"included"`
}

type apiList struct {
	Data     []apiResource     `json:"data"`
	Included []apiResource     `json:"included"`
	Links    map[string]string `json:"links"`
	Meta     *struct {
		Stats struct {
			Total struct {
				Count int `json:"count"`
			} `json:"total"`
		} `json:"stats"`
	} `json:"meta"`
}

type apiErrors struct {
	Errors []struct {
		Status string `json:"status"`
		Code   string `json:"code"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Source *struct {
			Pointer   string `json:"pointer"`
			Parameter string `json:"parameter"`
		} `json:"source"`
	} `json:"errors"`
}

// ids returns the ids of resources in order.
func ids(resources []apiResource) []string {
	out := make([]string, len(resources))
	for i, r := range resources {
		out[i] = r.ID
	}
	return out
}

// apiErrorCase is one request the API must reject.
type apiErrorCase struct {
	name        string
	method      string
	path        string
	token       string // empty means apiTokenA
	contentType string // empty means the JSON:API media type
	body        string
	wantStatus  int
	wantCode    mockplatform.ErrorCode
	// wantPointer and wantParameter are the expected source members;
	// empty means not checked.
	wantPointer   string
	wantParameter string
	// wantMentions must each appear in the detail or the source.
	wantMentions []string
}

// run sends the case's request and checks the error response.
func (c apiErrorCase) run(t *testing.T, s *apiServer) {
	t.Helper()
	token := c.token
	if token == "" {
		token = apiTokenA
	}
	contentType := c.contentType
	if contentType == "" && (c.method == http.MethodPost || c.method == http.MethodPatch) {
		contentType = mockplatform.MediaType
	}
	resp := s.do(t, token, c.method, c.path, contentType, c.body)
	checkAPIError(t, resp, c.wantStatus, c.wantCode, c.wantMentions...)
	var doc apiErrors
	resp.decode(t, &doc)
	if len(doc.Errors) == 0 {
		return
	}
	var pointer, parameter string
	if src := doc.Errors[0].Source; src != nil {
		pointer, parameter = src.Pointer, src.Parameter
	}
	if c.wantPointer != "" && pointer != c.wantPointer {
		t.Errorf("errors[0].source.pointer = %q, want %q", pointer, c.wantPointer)
	}
	if c.wantParameter != "" && parameter != c.wantParameter {
		t.Errorf("errors[0].source.parameter = %q, want %q", parameter, c.wantParameter)
	}
}

// checkAPIError checks that resp is a JSON:API errors document with one
// error of the given status and code whose detail or source contains
// each of mentions.
func checkAPIError(t *testing.T, resp apiResponse, status int, code mockplatform.ErrorCode, mentions ...string) {
	t.Helper()
	if resp.status != status {
		t.Errorf("status = %d, want %d; body: %s", resp.status, status, resp.body)
	}
	if got := resp.header.Get("Content-Type"); got != mockplatform.MediaType {
		t.Errorf("Content-Type = %q, want %q", got, mockplatform.MediaType)
	}

	var doc apiErrors
	if err := json.Unmarshal(resp.body, &doc); err != nil {
		t.Fatalf("body is not a JSON:API errors document: %v; body: %s", err, resp.body)
	}
	if len(doc.Errors) != 1 {
		t.Fatalf("len(errors) = %d, want 1; body: %s", len(doc.Errors), resp.body)
	}
	e := doc.Errors[0]
	if e.Code != string(code) {
		t.Errorf("errors[0].code = %q, want %q", e.Code, code)
	}
	if e.Status != strconv.Itoa(status) {
		t.Errorf("errors[0].status = %q, want %q", e.Status, strconv.Itoa(status))
	}
	if e.Title == "" {
		t.Errorf("errors[0].title is empty")
	}

	where := e.Detail
	if e.Source != nil {
		where += " " + e.Source.Pointer + " " + e.Source.Parameter
	}
	for _, m := range mentions {
		if !strings.Contains(where, m) {
			t.Errorf("errors[0] does not mention %q: detail %q", m, e.Detail)
		}
	}
}

// pdfContent is a small file that http.DetectContentType detects as a
// PDF.
var pdfContent = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func TestCreateDocument(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	body := fmt.Sprintf(`{"data":{"type":"documents","attributes":{
		"files":[{"base64_file":%q,"file_name":"invoice.pdf"}],
		"name":"March invoice",
		"external_id":"EX-1",
		"custom_fields":{"cost_center":"42","nested":{"a":[1,2]}},
		"classification_scope":["invoice","receipt"],
		"validation_required":true}}}`, base64.StdEncoding.EncodeToString(pdfContent))

	resp := s.do(t, apiTokenA, http.MethodPost, "/v2/documents", mockplatform.MediaType, body)

	if resp.status != http.StatusCreated {
		t.Fatalf("status = %d, want 201; body: %s", resp.status, resp.body)
	}
	if got := resp.header.Get("Content-Type"); got != mockplatform.MediaType {
		t.Errorf("Content-Type = %q, want %q", got, mockplatform.MediaType)
	}
	if got, want := resp.header.Get("Location"), "/v2/documents/100001"; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	var doc apiSingle
	resp.decode(t, &doc)
	if doc.Data.ID != "100001" || doc.Data.Type != "documents" {
		t.Errorf("data id, type = %q, %q, want \"100001\", \"documents\"", doc.Data.ID, doc.Data.Type)
	}
	if got := doc.Data.Links["self"]; got != "/v2/documents/100001" {
		t.Errorf("links.self = %q, want /v2/documents/100001", got)
	}
	want := map[string]any{
		"name":                     "March invoice",
		"status":                   "pending",
		"workflow_step":            "inbound",
		"document_type_identifier": nil,
		"tenant_id":                float64(apiTenantA),
		"external_id":              "EX-1",
		"custom_fields":            map[string]any{"cost_center": "42", "nested": map[string]any{"a": []any{1.0, 2.0}}},
		"classification_scope":     []any{"invoice", "receipt"},
		"validation_required":      true,
		"not_for_training":         false,
		"sla_deadline":             nil,
		"created_at":               "2026-01-01T00:00:00.000Z",
		"updated_at":               "2026-01-01T00:00:00.000Z",
	}
	checkAttributes(t, doc.Data.Attributes, want)

	stored, ok := s.p.Document(100001)
	if !ok {
		t.Fatalf("Document(100001) not found after create")
	}
	if len(stored.Files) != 1 {
		t.Fatalf("len(Files) = %d, want 1", len(stored.Files))
	}
	f := stored.Files[0]
	if f.Name != "invoice.pdf" || f.Size != len(pdfContent) || f.ContentType != "application/pdf" {
		t.Errorf("Files[0] = %+v, want invoice.pdf, %d bytes, application/pdf", f, len(pdfContent))
	}
}

// checkAttributes compares attributes with want member by member, in
// their JSON form, and rejects members want does not list.
func checkAttributes(t *testing.T, got, want map[string]any) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("attribute %s is missing", name)
			continue
		}
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if !bytes.Equal(gj, wj) {
			t.Errorf("attribute %s = %s, want %s", name, gj, wj)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected attribute %s = %v", name, got[name])
		}
	}
}

func TestCreateDocumentMinimal(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	resp := s.do(t, apiTokenB, http.MethodPost, "/v2/documents", mockplatform.MediaType, `{"data":{"type":"documents"}}`)
	if resp.status != http.StatusCreated {
		t.Fatalf("status = %d, want 201; body: %s", resp.status, resp.body)
	}
	var doc apiSingle
	resp.decode(t, &doc)
	checkAttributes(t, doc.Data.Attributes, map[string]any{
		"name":                     "",
		"status":                   "pending",
		"workflow_step":            "inbound",
		"document_type_identifier": nil,
		"tenant_id":                float64(apiTenantB),
		"external_id":              nil,
		"custom_fields":            map[string]any{},
		"classification_scope":     []any{},
		"validation_required":      false,
		"not_for_training":         false,
		"sla_deadline":             nil,
		"created_at":               "2026-01-01T00:00:00.000Z",
		"updated_at":               "2026-01-01T00:00:00.000Z",
	})
}

func TestCreateDocumentNullAttributes(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	id := s.create(t, apiTokenA, `{"files":null,"name":null,"external_id":null,"custom_fields":null,"classification_scope":null,"validation_required":null}`)
	stored, ok := s.p.Document(mustID(t, id))
	if !ok {
		t.Fatalf("Document(%s) not found", id)
	}
	if stored.ExternalID != "" || stored.CustomFields != nil || stored.ValidationRequired || len(stored.Files) != 0 {
		t.Errorf("Document(%s) = %+v, want every attribute at its zero value", id, stored)
	}
}

func TestCreateDocumentBase64Forms(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	content := []byte("four") // 4 bytes: padded base64 ends in "=="
	padded := base64.StdEncoding.EncodeToString(content)
	tests := []struct {
		name    string
		encoded string
	}{
		{"padded", padded},
		{"unpadded", base64.RawStdEncoding.EncodeToString(content)},
		{"line breaks", padded[:4] + "\r\n" + padded[4:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := s.create(t, apiTokenA, fmt.Sprintf(`{"files":[{"base64_file":%q}]}`, tt.encoded))
			stored, _ := s.p.Document(mustID(t, id))
			if len(stored.Files) != 1 || stored.Files[0].Size != len(content) {
				t.Errorf("Files = %+v, want one file of %d bytes", stored.Files, len(content))
			}
		})
	}
}

func TestCreateDocumentAcceptsMediaTypes(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	for _, ct := range []string{
		"application/vnd.api+json",
		"application/json",
		"application/json; charset=utf-8",
		"Application/JSON",
	} {
		t.Run(ct, func(t *testing.T) {
			resp := s.do(t, apiTokenA, http.MethodPost, "/v2/documents", ct, `{"data":{"type":"documents"}}`)
			if resp.status != http.StatusCreated {
				t.Errorf("status = %d, want 201; body: %s", resp.status, resp.body)
			}
		})
	}
}

func TestCreateDocumentSelectsProfile(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	id := s.create(t, apiTokenA, `{"custom_fields":{"mock_profile":"fail-separation"}}`)
	s.advance(t, time.Hour)

	var doc apiSingle
	s.get(t, apiTokenA, "/v2/documents/"+id).decode(t, &doc)
	if got := doc.Data.Attributes["status"]; got != "failed" {
		t.Errorf("status attribute = %v, want failed", got)
	}
}

func TestCreateDocumentErrors(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	post := func(attributes string) string {
		return `{"data":{"type":"documents","attributes":` + attributes + `}}`
	}
	tests := []apiErrorCase{
		{name: "truncated JSON", body: `{"data": {`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantMentions: []string{"not valid JSON", "byte offset 10"}},
		{name: "syntax error", body: `{"data": x}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantMentions: []string{"not valid JSON", "byte offset 10"}},
		{name: "empty body",
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantMentions: []string{"empty"}},
		{name: "trailing data", body: `{"data":{"type":"documents"}} {}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantMentions: []string{"after the JSON value", "byte offset 29"}},
		{name: "array body", body: `[]`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantMentions: []string{"JSON object", "an array"}},
		{name: "number out of range", body: post(`{"custom_fields":{"n":1e400}}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantMentions: []string{"1e400", "out of the range"}},
		{name: "missing data", body: `{}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data", wantMentions: []string{"data member is missing"}},
		{name: "data is an array", body: `{"data":[]}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data", wantMentions: []string{"an array"}},
		{name: "unknown top-level member", body: `{"data":{"type":"documents"},"extra":1}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/extra", wantMentions: []string{`"extra"`}},
		{name: "missing type", body: `{"data":{"attributes":{}}}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/type", wantMentions: []string{"missing"}},
		{name: "type not a string", body: `{"data":{"type":5}}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/type", wantMentions: []string{"number 5"}},
		{name: "wrong resource type", body: `{"data":{"type":"invoices"}}`,
			wantStatus: 409, wantCode: mockplatform.CodeConflict, wantPointer: "/data/type", wantMentions: []string{`"invoices"`, `"documents"`}},
		{name: "client-generated id", body: `{"data":{"type":"documents","id":"7"}}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/id", wantMentions: []string{"data.id"}},
		{name: "relationships", body: `{"data":{"type":"documents","relationships":{}}}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/relationships"},
		{name: "unknown data member", body: `{"data":{"type":"documents","attrs":{}}}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attrs", wantMentions: []string{`"attrs"`}},
		{name: "attributes not an object", body: `{"data":{"type":"documents","attributes":[]}}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes", wantMentions: []string{"an array"}},
		{name: "name is a number", body: post(`{"name":5}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/name", wantMentions: []string{"number 5", "a string"}},
		{name: "files is a string", body: post(`{"files":"x"}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files", wantMentions: []string{`string "x"`, "an array"}},
		{name: "validation_required is a string", body: post(`{"validation_required":"yes"}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/validation_required", wantMentions: []string{`"yes"`, "true, false or null"}},
		{name: "external_id is an object", body: post(`{"external_id":{}}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/external_id", wantMentions: []string{"an object"}},
		{name: "file is not an object", body: post(`{"files":[1]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files/0", wantMentions: []string{"number 1"}},
		{name: "base64_file is a number", body: post(`{"files":[{"base64_file":12}]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files/0/base64_file", wantMentions: []string{"number 12"}},
		{name: "invalid base64", body: post(`{"files":[{"base64_file":"QUJD"},{"base64_file":"@@@@"}]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files/1/base64_file", wantMentions: []string{"not valid base64", "input byte 0"}},
		{name: "URL-safe base64", body: post(`{"files":[{"base64_file":"-_8"}]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files/0/base64_file", wantMentions: []string{"URL-safe"}},
		{name: "data URL", body: post(`{"files":[{"base64_file":"data:application/pdf;base64,QUJD"}]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files/0/base64_file", wantMentions: []string{"data URL"}},
		{name: "wrong padding", body: post(`{"files":[{"base64_file":"QQ="}]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files/0/base64_file", wantMentions: []string{"not valid base64"}},
		{name: "empty base64_file", body: post(`{"files":[{"base64_file":""}]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files/0/base64_file", wantMentions: []string{"empty"}},
		{name: "missing base64_file", body: post(`{"files":[{"file_name":"a.pdf"}]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files/0/base64_file", wantMentions: []string{"missing"}},
		{name: "file_name is a number", body: post(`{"files":[{"base64_file":"QUJD","file_name":3}]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files/0/file_name", wantMentions: []string{"number 3"}},
		{name: "unknown file member", body: post(`{"files":[{"base64_file":"QUJD","content":"x"}]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/files/0/content", wantMentions: []string{`"content"`, "base64_file and file_name"}},
		{name: "unknown attribute", body: post(`{"colour":"red"}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/colour", wantMentions: []string{`"colour"`, "files, name, external_id, custom_fields, classification_scope, validation_required"}},
		{name: "attribute name with slash", body: post(`{"a/b~c":1}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/a~1b~0c", wantMentions: []string{`"a/b~c"`}},
		{name: "read-only attribute", body: post(`{"status":"done"}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/status", wantMentions: []string{`"status"`, "read-only"}},
		{name: "not_for_training on create", body: post(`{"not_for_training":true}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/not_for_training", wantMentions: []string{"PATCH"}},
		{name: "custom_fields is an array", body: post(`{"custom_fields":[]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/custom_fields", wantMentions: []string{"an array"}},
		{name: "mock_profile is a number", body: post(`{"custom_fields":{"mock_profile":1}}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/custom_fields/mock_profile", wantMentions: []string{"number 1"}},
		{name: "unknown mock_profile", body: post(`{"custom_fields":{"mock_profile":"nope"}}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/custom_fields/mock_profile", wantMentions: []string{`"nope"`, "straight-through"}},
		{name: "classification_scope is a string", body: post(`{"classification_scope":"invoice"}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/classification_scope", wantMentions: []string{`"invoice"`}},
		{name: "classification_scope item is a number", body: post(`{"classification_scope":["invoice",2]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/classification_scope/1", wantMentions: []string{"number 2"}},
		{name: "query parameter", path: "/v2/documents?include=document_fields", body: post(`{}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantParameter: "include", wantMentions: []string{"no query parameters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.method = http.MethodPost
			if tt.path == "" {
				tt.path = "/v2/documents"
			}
			tt.run(t, s)
		})
	}
	if docs := s.p.Documents(); len(docs) != 0 {
		t.Errorf("rejected requests created %d documents, want 0", len(docs))
	}
}

func TestAPIMediaTypeAndBodySize(t *testing.T) {
	const limit = 256
	s := startAPI(t, mockplatform.Options{MaxBodyBytes: limit})
	big := `{"data":{"type":"documents","attributes":{"name":"` + strings.Repeat("x", limit) + `"}}}`
	tests := []apiErrorCase{
		{name: "text/plain", method: http.MethodPost, path: "/v2/documents", contentType: "text/plain", body: `{}`,
			wantStatus: 415, wantCode: mockplatform.CodeUnsupportedMedia, wantMentions: []string{`"text/plain"`, "application/vnd.api+json"}},
		{name: "malformed Content-Type", method: http.MethodPost, path: "/v2/documents", contentType: "application/json;;", body: `{}`,
			wantStatus: 415, wantCode: mockplatform.CodeUnsupportedMedia, wantMentions: []string{`"application/json;;"`}},
		{name: "PATCH with form type", method: http.MethodPatch, path: "/v2/documents/100001", contentType: "application/x-www-form-urlencoded", body: `a=b`,
			wantStatus: 415, wantCode: mockplatform.CodeUnsupportedMedia, wantMentions: []string{"application/x-www-form-urlencoded"}},
		{name: "body over limit", method: http.MethodPost, path: "/v2/documents", body: big,
			wantStatus: 413, wantCode: mockplatform.CodeBodyTooLarge, wantMentions: []string{"256 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, s) })
	}

	t.Run("missing Content-Type", func(t *testing.T) {
		resp := s.do(t, apiTokenA, http.MethodPost, "/v2/documents", "", `{}`)
		checkAPIError(t, resp, 415, mockplatform.CodeUnsupportedMedia, "missing", "application/vnd.api+json")
	})
	t.Run("chunked body over limit", func(t *testing.T) {
		// NopCloser hides the length, so the body is sent chunked and
		// only the reader enforces the limit.
		req := s.request(t, apiTokenA, http.MethodPost, "/v2/documents", mockplatform.MediaType, io.NopCloser(strings.NewReader(big)))
		resp := s.send(t, req)
		checkAPIError(t, resp, 413, mockplatform.CodeBodyTooLarge, "256 bytes")
	})
	t.Run("body at limit", func(t *testing.T) {
		body := `{"data":{"type":"documents"}}`
		body += strings.Repeat(" ", limit-len(body))
		resp := s.do(t, apiTokenA, http.MethodPost, "/v2/documents", mockplatform.MediaType, body)
		if resp.status != http.StatusCreated {
			t.Errorf("status = %d, want 201; body: %s", resp.status, resp.body)
		}
	})
}

func TestAPIAuthentication(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	tests := []struct {
		name          string
		authorization string // empty sends no header
		secret        string // must not appear in the response; empty means none
		mentions      []string
	}{
		{"missing header", "", "", []string{"missing", "Bearer <token>"}},
		{"basic scheme", "Basic dXNlcjpzZWNyZXQtcGFzcw==", "dXNlcjpzZWNyZXQtcGFzcw", []string{"Bearer scheme", "Bearer <token>"}},
		{"token without scheme", "secret-without-scheme", "secret-without-scheme", []string{"Bearer scheme"}},
		{"scheme without token", "Bearer", "", []string{"no token"}},
		{"blank token", "Bearer   ", "", []string{"no token"}},
		{"unknown token", "Bearer unknown-secret-4711", "unknown-secret-4711", []string{"not valid", "Bearer <token>"}},
		{"token in the wrong case", "Bearer " + strings.ToUpper(apiTokenA), strings.ToUpper(apiTokenA), []string{"not valid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, target := range []struct{ method, path, contentType string }{
				{http.MethodGet, "/v2/documents", ""},
				{http.MethodPost, "/v2/documents", "text/plain"}, // 401 comes before 415
				{http.MethodGet, "/v2/nope", ""},
			} {
				req := s.request(t, "", target.method, target.path, target.contentType, strings.NewReader(`{}`))
				if tt.authorization != "" {
					req.Header.Set("Authorization", tt.authorization)
				}
				resp := s.send(t, req)
				checkAPIError(t, resp, 401, mockplatform.CodeUnauthorized, tt.mentions...)
				if got := resp.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
				}
				if tt.secret != "" && bytes.Contains(resp.body, []byte(tt.secret)) {
					t.Errorf("%s %s: response repeats the credential %q: %s", target.method, target.path, tt.secret, resp.body)
				}
				if bytes.Contains(resp.body, []byte(mockplatform.DefaultToken)) {
					t.Errorf("%s %s: response reveals the default token: %s", target.method, target.path, resp.body)
				}
			}
		})
	}

	t.Run("scheme is case-insensitive", func(t *testing.T) {
		req := s.request(t, "", http.MethodGet, "/v2/documents", "", nil)
		req.Header.Set("Authorization", "bearer "+apiTokenA)
		if resp := s.send(t, req); resp.status != http.StatusOK {
			t.Errorf("status = %d, want 200; body: %s", resp.status, resp.body)
		}
	})
	t.Run("default token", func(t *testing.T) {
		def := startAPI(t, mockplatform.Options{Tokens: map[string]int64{}})
		if resp := def.get(t, mockplatform.DefaultToken, "/v2/documents"); resp.status != http.StatusOK {
			t.Errorf("status with DefaultToken = %d, want 200; body: %s", resp.status, resp.body)
		}
	})
}

func TestShowDocument(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	id := s.create(t, apiTokenA, `{"name":"a.pdf","external_id":"EX-9"}`)
	s.advance(t, 3*time.Second) // past preprocessing-done

	resp := s.get(t, apiTokenA, "/v2/documents/"+id)
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", resp.status, resp.body)
	}
	if got := resp.header.Get("Content-Type"); got != mockplatform.MediaType {
		t.Errorf("Content-Type = %q, want %q", got, mockplatform.MediaType)
	}
	var doc apiSingle
	resp.decode(t, &doc)
	if doc.Data.ID != id {
		t.Errorf("data.id = %q, want %q", doc.Data.ID, id)
	}
	if got := doc.Data.Attributes["status"]; got != "in_progress" {
		t.Errorf("status attribute = %v, want in_progress", got)
	}
	if got := doc.Data.Attributes["updated_at"]; got != "2026-01-01T00:00:02.000Z" {
		t.Errorf("updated_at = %v, want 2026-01-01T00:00:02.000Z", got)
	}
	if doc.Data.Relationships != nil {
		t.Errorf("relationships = %v, want none without include", doc.Data.Relationships)
	}
	if bytes.Contains(resp.body, []byte(`"included"`)) {
		t.Errorf("response has included without include: %s", resp.body)
	}
}

func TestShowDocumentIncludeFields(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	id := s.create(t, apiTokenA, `{"classification_scope":["invoice"]}`)

	t.Run("before extraction", func(t *testing.T) {
		resp := s.get(t, apiTokenA, "/v2/documents/"+id+"?include=document_fields")
		if resp.status != http.StatusOK {
			t.Fatalf("status = %d, want 200; body: %s", resp.status, resp.body)
		}
		for _, want := range []string{`"included":[]`, `"document_fields":{"data":[]}`} {
			if !bytes.Contains(resp.body, []byte(want)) {
				t.Errorf("response lacks %s: %s", want, resp.body)
			}
		}
	})

	s.advance(t, time.Hour)
	stored, _ := s.p.Document(mustID(t, id))
	if len(stored.Fields) == 0 {
		t.Fatalf("Document(%s).Fields is empty after an hour: extraction did not run", id)
	}

	resp := s.get(t, apiTokenA, "/v2/documents/"+id+"?include=document_fields")
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", resp.status, resp.body)
	}
	var doc apiSingle
	resp.decode(t, &doc)
	if got := doc.Data.Attributes["document_type_identifier"]; got != "invoice" {
		t.Errorf("document_type_identifier = %v, want invoice", got)
	}
	if len(doc.Included) != len(stored.Fields) {
		t.Fatalf("len(included) = %d, want %d", len(doc.Included), len(stored.Fields))
	}
	linkage := doc.Data.Relationships["document_fields"].Data
	if len(linkage) != len(stored.Fields) {
		t.Fatalf("len(relationships.document_fields.data) = %d, want %d", len(linkage), len(stored.Fields))
	}
	for i, f := range stored.Fields {
		inc := doc.Included[i]
		if inc.Type != "document_fields" || inc.ID != f.ID {
			t.Errorf("included[%d] type, id = %q, %q, want document_fields, %q", i, inc.Type, inc.ID, f.ID)
		}
		if linkage[i].Type != "document_fields" || linkage[i].ID != f.ID {
			t.Errorf("relationships.document_fields.data[%d] = %+v, want document_fields %q", i, linkage[i], f.ID)
		}
		if inc.Attributes["identifier"] != f.Identifier || inc.Attributes["value"] != f.Value {
			t.Errorf("included[%d] identifier, value = %v, %v, want %q, %q", i, inc.Attributes["identifier"], inc.Attributes["value"], f.Identifier, f.Value)
		}
		candidates, _ := inc.Attributes["extraction_candidates"].([]any)
		if len(candidates) != len(f.Candidates) || len(candidates) == 0 {
			t.Errorf("included[%d] extraction_candidates = %v, want %d candidates", i, inc.Attributes["extraction_candidates"], len(f.Candidates))
			continue
		}
		first, _ := candidates[0].(map[string]any)
		if first["value"] != f.Candidates[0].Value || first["confidence"] != f.Candidates[0].Confidence {
			t.Errorf("included[%d] extraction_candidates[0] = %v, want %+v", i, first, f.Candidates[0])
		}
	}
}

func TestShowDocumentErrors(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	idA := s.create(t, apiTokenA, `{}`)
	idB := s.create(t, apiTokenB, `{}`)
	tests := []apiErrorCase{
		{name: "id not a number", path: "/v2/documents/abc",
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantMentions: []string{`"abc"`, "positive integer"}},
		{name: "id zero", path: "/v2/documents/0",
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantMentions: []string{`"0"`}},
		{name: "id negative", path: "/v2/documents/-5",
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantMentions: []string{`"-5"`}},
		{name: "id with leading zero", path: "/v2/documents/0" + idA,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantMentions: []string{`"0` + idA + `"`}},
		{name: "id overflows int64", path: "/v2/documents/99999999999999999999",
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantMentions: []string{"99999999999999999999"}},
		{name: "unknown id", path: "/v2/documents/100999",
			wantStatus: 404, wantCode: mockplatform.CodeNotFound, wantMentions: []string{"100999"}},
		{name: "other tenant's document", path: "/v2/documents/" + idB,
			wantStatus: 404, wantCode: mockplatform.CodeNotFound, wantMentions: []string{idB}},
		{name: "unknown include", path: "/v2/documents/" + idA + "?include=files",
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantParameter: "include", wantMentions: []string{`"files"`, "document_fields"}},
		{name: "unknown parameter", path: "/v2/documents/" + idA + "?fields=name",
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantParameter: "fields", wantMentions: []string{`"fields"`, "include"}},
		{name: "repeated parameter", path: "/v2/documents/" + idA + "?include=document_fields&include=document_fields",
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantParameter: "include", wantMentions: []string{"2 times"}},
		{name: "invalid escape", path: "/v2/documents/" + idA + "?include=%zz",
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantMentions: []string{"query string is invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.method = http.MethodGet
			tt.run(t, s)
		})
	}

	if resp := s.get(t, apiTokenB, "/v2/documents/"+idB); resp.status != http.StatusOK {
		t.Errorf("owner's GET /v2/documents/%s status = %d, want 200", idB, resp.status)
	}
}

// listFixture creates documents in every status for tenant A and one
// for tenant B:
//
//	100001 order-1  done
//	100002 order-2  failed
//	100003 order-3  in_progress
//	100004 order-1  pending
//	100005 order-1  pending, tenant B
//	100006 order-10 pending
func listFixture(t *testing.T) *apiServer {
	t.Helper()
	s := startAPI(t, mockplatform.Options{})
	s.create(t, apiTokenA, `{"external_id":"order-1"}`)
	s.create(t, apiTokenA, `{"external_id":"order-2","custom_fields":{"mock_profile":"fail-separation"}}`)
	s.advance(t, time.Hour)
	s.create(t, apiTokenA, `{"external_id":"order-3"}`)
	s.advance(t, 3*time.Second)
	s.create(t, apiTokenA, `{"external_id":"order-1"}`)
	s.create(t, apiTokenB, `{"external_id":"order-1"}`)
	s.create(t, apiTokenA, `{"external_id":"order-10"}`)
	return s
}

func TestListDocumentsFilters(t *testing.T) {
	s := listFixture(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"100001", "100002", "100003", "100004", "100006"}},
		{"filter[external_id]=order-1", []string{"100001", "100004"}},
		{"filter[external_id]=order-9", []string{}},
		{"filter[status]=done", []string{"100001"}},
		{"filter[status]=failed", []string{"100002"}},
		{"filter[status]=in_progress", []string{"100003"}},
		{"filter[status]=pending", []string{"100004", "100006"}},
		{"filter[status]=done,failed", []string{"100001", "100002"}},
		{"filter[id_gte]=100003", []string{"100003", "100004", "100006"}},
		{"filter[id_lte]=100002", []string{"100001", "100002"}},
		{"filter[id_gte]=100002&filter[id_lte]=100004", []string{"100002", "100003", "100004"}},
		{"filter[status]=pending&filter[external_id]=order-1", []string{"100004"}},
		{"sort=id", []string{"100001", "100002", "100003", "100004", "100006"}},
		{"sort=-id", []string{"100006", "100004", "100003", "100002", "100001"}},
		{"sort=-id&filter[status]=pending", []string{"100006", "100004"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp := s.get(t, apiTokenA, "/v2/documents?"+tt.query)
			if resp.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %s", resp.status, resp.body)
			}
			var list apiList
			resp.decode(t, &list)
			if got := ids(list.Data); !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
			if list.Meta != nil {
				t.Errorf("meta = %+v, want none without stats[total]", list.Meta)
			}
			if !bytes.Contains(resp.body, []byte(`"data":[`)) {
				t.Errorf("data is not an array: %s", resp.body)
			}
		})
	}

	t.Run("other tenant", func(t *testing.T) {
		var list apiList
		s.get(t, apiTokenB, "/v2/documents?stats[total]=count").decode(t, &list)
		if got := ids(list.Data); !slices.Equal(got, []string{"100005"}) {
			t.Errorf("tenant B ids = %v, want [100005]", got)
		}
		if list.Meta == nil || list.Meta.Stats.Total.Count != 1 {
			t.Errorf("meta = %+v, want stats.total.count 1", list.Meta)
		}
	})
	t.Run("include", func(t *testing.T) {
		var list apiList
		s.get(t, apiTokenA, "/v2/documents?filter[status]=done,pending&include=document_fields").decode(t, &list)
		done, _ := s.p.Document(100001)
		if len(list.Included) != len(done.Fields) || len(done.Fields) == 0 {
			t.Fatalf("len(included) = %d, want the %d fields of 100001", len(list.Included), len(done.Fields))
		}
		for _, res := range list.Data {
			rel, ok := res.Relationships["document_fields"]
			if !ok {
				t.Errorf("document %s has no document_fields relationship", res.ID)
			}
			if res.ID == "100001" && len(rel.Data) != len(done.Fields) {
				t.Errorf("document 100001 links %d fields, want %d", len(rel.Data), len(done.Fields))
			}
		}
	})
}

func TestListDocumentsPaging(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	for range 27 {
		if _, err := s.p.Upload(mockplatform.Upload{TenantID: apiTenantA}); err != nil {
			t.Fatalf("Upload: %v", err)
		}
	}
	idRange := func(from, to int) []string {
		var out []string
		step := 1
		if from > to {
			step = -1
		}
		for i := from; i != to+step; i += step {
			out = append(out, strconv.Itoa(100000+i))
		}
		return out
	}
	pageLink := func(query string) string { return "/v2/documents?" + query }
	tests := []struct {
		query     string
		wantIDs   []string
		wantLinks map[string]string
		wantCount int // 0 means meta is not expected
	}{
		{
			query:   "",
			wantIDs: idRange(1, 25),
			wantLinks: map[string]string{
				"self":  pageLink("page%5Bnumber%5D=1&page%5Bsize%5D=25"),
				"first": pageLink("page%5Bnumber%5D=1&page%5Bsize%5D=25"),
				"last":  pageLink("page%5Bnumber%5D=2&page%5Bsize%5D=25"),
				"next":  pageLink("page%5Bnumber%5D=2&page%5Bsize%5D=25"),
			},
		},
		{
			query:   "page[size]=10&page[number]=2&stats[total]=count",
			wantIDs: idRange(11, 20),
			wantLinks: map[string]string{
				"self":  pageLink("page%5Bnumber%5D=2&page%5Bsize%5D=10&stats%5Btotal%5D=count"),
				"first": pageLink("page%5Bnumber%5D=1&page%5Bsize%5D=10&stats%5Btotal%5D=count"),
				"last":  pageLink("page%5Bnumber%5D=3&page%5Bsize%5D=10&stats%5Btotal%5D=count"),
				"prev":  pageLink("page%5Bnumber%5D=1&page%5Bsize%5D=10&stats%5Btotal%5D=count"),
				"next":  pageLink("page%5Bnumber%5D=3&page%5Bsize%5D=10&stats%5Btotal%5D=count"),
			},
			wantCount: 27,
		},
		{
			query:   "page[size]=10&page[number]=3&sort=-id",
			wantIDs: idRange(7, 1),
			wantLinks: map[string]string{
				"self":  pageLink("page%5Bnumber%5D=3&page%5Bsize%5D=10&sort=-id"),
				"first": pageLink("page%5Bnumber%5D=1&page%5Bsize%5D=10&sort=-id"),
				"last":  pageLink("page%5Bnumber%5D=3&page%5Bsize%5D=10&sort=-id"),
				"prev":  pageLink("page%5Bnumber%5D=2&page%5Bsize%5D=10&sort=-id"),
			},
		},
		{
			query:   "page[size]=100&filter[id_gte]=100020&stats[total]=count",
			wantIDs: idRange(20, 27),
			wantLinks: map[string]string{
				"self":  pageLink("filter%5Bid_gte%5D=100020&page%5Bnumber%5D=1&page%5Bsize%5D=100&stats%5Btotal%5D=count"),
				"first": pageLink("filter%5Bid_gte%5D=100020&page%5Bnumber%5D=1&page%5Bsize%5D=100&stats%5Btotal%5D=count"),
				"last":  pageLink("filter%5Bid_gte%5D=100020&page%5Bnumber%5D=1&page%5Bsize%5D=100&stats%5Btotal%5D=count"),
			},
			wantCount: 8,
		},
		{
			query:   "page[size]=10&page[number]=9",
			wantIDs: []string{},
			wantLinks: map[string]string{
				"self":  pageLink("page%5Bnumber%5D=9&page%5Bsize%5D=10"),
				"first": pageLink("page%5Bnumber%5D=1&page%5Bsize%5D=10"),
				"last":  pageLink("page%5Bnumber%5D=3&page%5Bsize%5D=10"),
				"prev":  pageLink("page%5Bnumber%5D=3&page%5Bsize%5D=10"),
			},
		},
		{
			query:   "filter[status]=done&stats[total]=count",
			wantIDs: []string{},
			wantLinks: map[string]string{
				"self":  pageLink("filter%5Bstatus%5D=done&page%5Bnumber%5D=1&page%5Bsize%5D=25&stats%5Btotal%5D=count"),
				"first": pageLink("filter%5Bstatus%5D=done&page%5Bnumber%5D=1&page%5Bsize%5D=25&stats%5Btotal%5D=count"),
				"last":  pageLink("filter%5Bstatus%5D=done&page%5Bnumber%5D=1&page%5Bsize%5D=25&stats%5Btotal%5D=count"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp := s.get(t, apiTokenA, "/v2/documents?"+tt.query)
			if resp.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %s", resp.status, resp.body)
			}
			var list apiList
			resp.decode(t, &list)
			if got := ids(list.Data); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("ids = %v, want %v", got, tt.wantIDs)
			}
			for name, want := range tt.wantLinks {
				if got := list.Links[name]; got != want {
					t.Errorf("links.%s = %q, want %q", name, got, want)
				}
			}
			for name := range list.Links {
				if _, ok := tt.wantLinks[name]; !ok {
					t.Errorf("unexpected links.%s = %q", name, list.Links[name])
				}
			}
			wantStats := strings.Contains(tt.query, "stats[total]")
			switch {
			case wantStats && list.Meta == nil:
				t.Errorf("meta is missing with stats[total]=count")
			case wantStats && list.Meta.Stats.Total.Count != tt.wantCount:
				t.Errorf("meta.stats.total.count = %d, want %d", list.Meta.Stats.Total.Count, tt.wantCount)
			case !wantStats && list.Meta != nil:
				t.Errorf("meta = %+v, want none", list.Meta)
			}
		})
	}

	t.Run("follow next links", func(t *testing.T) {
		var got []string
		next := "/v2/documents?page[size]=10"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatalf("more than 5 pages of 10 for 27 documents")
			}
			var list apiList
			s.get(t, apiTokenA, next).decode(t, &list)
			got = append(got, ids(list.Data)...)
			next = list.Links["next"]
		}
		if want := idRange(1, 27); !slices.Equal(got, want) {
			t.Errorf("ids over all pages = %v, want %v", got, want)
		}
	})
}

func TestListDocumentsErrors(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	param := func(name, query string, mentions ...string) apiErrorCase {
		return apiErrorCase{
			name: query, path: "/v2/documents?" + query,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter,
			wantParameter: name, wantMentions: mentions,
		}
	}
	tests := []apiErrorCase{
		param("filter[foo]", "filter[foo]=1", `"filter[foo]"`, "filter[external_id], filter[status]"),
		param("pagesize", "pagesize=10", `"pagesize"`, "page[size]"),
		param("page[size]", "page[size]=0", `"0"`, "1 to 100"),
		param("page[size]", "page[size]=101", `"101"`, "1 to 100"),
		param("page[size]", "page[size]=x", `"x"`, "1 to 100"),
		param("page[size]", "page[size]=", `""`, "1 to 100"),
		param("page[number]", "page[number]=0", `"0"`, "from 1"),
		param("page[number]", "page[number]=99999999999", `"99999999999"`),
		param("sort", "sort=name", `"name"`, "sort=id or sort=-id"),
		param("sort", "sort=id,-id", `"id,-id"`),
		param("sort", "sort=id&sort=-id", "2 times"),
		param("filter[status]", "filter[status]=archived", `"archived"`, "pending, in_progress, done, failed"),
		param("filter[status]", "filter[status]=done,", `""`),
		param("filter[status]", "filter[status]=DONE", `"DONE"`),
		param("filter[id_gte]", "filter[id_gte]=x", `"x"`, "integer"),
		param("filter[id_lte]", "filter[id_lte]=1.5", `"1.5"`, "integer"),
		param("filter[external_id]", "filter[external_id]=", "empty"),
		param("stats[total]", "stats[total]=sum", `"sum"`, "stats[total]=count"),
		param("include", "include=files", `"files"`, "document_fields"),
		{name: "semicolon separator", path: "/v2/documents?sort=id;page[size]=2",
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantMentions: []string{"query string is invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.method = http.MethodGet
			tt.run(t, s)
		})
	}
}

func TestPatchDocument(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	tests := []struct {
		name       string
		attributes string
		want       map[string]any // attributes expected after the patch
		check      func(t *testing.T, d mockplatform.Document)
	}{
		{
			name: "external_id", attributes: `{"external_id":"EX-2"}`,
			want: map[string]any{"external_id": "EX-2"},
			check: func(t *testing.T, d mockplatform.Document) {
				if d.ExternalID != "EX-2" {
					t.Errorf("ExternalID = %q, want EX-2", d.ExternalID)
				}
			},
		},
		{
			name: "external_id null", attributes: `{"external_id":null}`,
			want: map[string]any{"external_id": nil},
			check: func(t *testing.T, d mockplatform.Document) {
				if d.ExternalID != "" {
					t.Errorf("ExternalID = %q, want empty", d.ExternalID)
				}
			},
		},
		{
			name: "custom_fields", attributes: `{"custom_fields":{"b":2}}`,
			want: map[string]any{"custom_fields": map[string]any{"b": 2.0}},
			check: func(t *testing.T, d mockplatform.Document) {
				// Numbers keep their literal, so the Go API sees a json.Number.
				if len(d.CustomFields) != 1 || d.CustomFields["b"] != json.Number("2") {
					t.Errorf("CustomFields = %#v, want map[b:2] with json.Number 2", d.CustomFields)
				}
			},
		},
		{
			name: "custom_fields null", attributes: `{"custom_fields":null}`,
			want: map[string]any{"custom_fields": map[string]any{}},
			check: func(t *testing.T, d mockplatform.Document) {
				if len(d.CustomFields) != 0 {
					t.Errorf("CustomFields = %v, want empty", d.CustomFields)
				}
			},
		},
		{
			name: "validation_required", attributes: `{"validation_required":true}`,
			want: map[string]any{"validation_required": true},
			check: func(t *testing.T, d mockplatform.Document) {
				if !d.ValidationRequired {
					t.Errorf("ValidationRequired = false, want true")
				}
			},
		},
		{
			name: "not_for_training", attributes: `{"not_for_training":true}`,
			want: map[string]any{"not_for_training": true},
			check: func(t *testing.T, d mockplatform.Document) {
				if !d.NotForTraining {
					t.Errorf("NotForTraining = false, want true")
				}
			},
		},
		{
			name: "all at once", attributes: `{"external_id":"EX-3","custom_fields":{},"validation_required":true,"not_for_training":true}`,
			want: map[string]any{"external_id": "EX-3", "custom_fields": map[string]any{}, "validation_required": true, "not_for_training": true},
		},
		{
			name: "no attributes", attributes: `{}`,
			want: map[string]any{"external_id": "EX-1", "custom_fields": map[string]any{"a": "1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created := s.p.Clock().Now()
			id := s.create(t, apiTokenA, `{"name":"p.pdf","external_id":"EX-1","custom_fields":{"a":"1"}}`)
			s.advance(t, time.Second) // before the first step, so only the patch changes updated_at
			body := fmt.Sprintf(`{"data":{"type":"documents","id":%q,"attributes":%s}}`, id, tt.attributes)

			resp := s.do(t, apiTokenA, http.MethodPatch, "/v2/documents/"+id, mockplatform.MediaType, body)

			if resp.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %s", resp.status, resp.body)
			}
			var doc apiSingle
			resp.decode(t, &doc)
			want := map[string]any{
				"name":                     "p.pdf",
				"status":                   "pending",
				"workflow_step":            "inbound",
				"document_type_identifier": nil,
				"tenant_id":                float64(apiTenantA),
				"external_id":              "EX-1",
				"custom_fields":            map[string]any{"a": "1"},
				"classification_scope":     []any{},
				"validation_required":      false,
				"not_for_training":         false,
				"sla_deadline":             nil,
				"created_at":               apiTime(created),
				"updated_at":               apiTime(created.Add(time.Second)),
			}
			for k, v := range tt.want {
				want[k] = v
			}
			checkAttributes(t, doc.Data.Attributes, want)
			if tt.check != nil {
				stored, _ := s.p.Document(mustID(t, id))
				tt.check(t, stored)
			}
		})
	}
}

// apiTime formats t as the API does: UTC with milliseconds.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func TestPatchDocumentErrors(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	id := s.create(t, apiTokenA, `{"external_id":"keep"}`)
	idB := s.create(t, apiTokenB, `{}`)
	patch := func(attributes string) string {
		return fmt.Sprintf(`{"data":{"type":"documents","id":%q,"attributes":%s}}`, id, attributes)
	}
	path := "/v2/documents/" + id
	tests := []apiErrorCase{
		{name: "read-only attribute", body: patch(`{"status":"done"}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/status", wantMentions: []string{`"status"`, "read-only", "external_id, custom_fields, validation_required, not_for_training"}},
		{name: "create-only attribute", body: patch(`{"name":"x"}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/name", wantMentions: []string{`"name"`, "creating"}},
		{name: "unknown attribute", body: patch(`{"colour":"red"}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/colour", wantMentions: []string{`"colour"`, "unknown"}},
		{name: "id mismatch", body: `{"data":{"type":"documents","id":"100002","attributes":{}}}`,
			wantStatus: 409, wantCode: mockplatform.CodeConflict, wantPointer: "/data/id", wantMentions: []string{`"100002"`, id}},
		{name: "id missing", body: `{"data":{"type":"documents","attributes":{}}}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/id", wantMentions: []string{"missing", id}},
		{name: "id is a number", body: `{"data":{"type":"documents","id":` + id + `}}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/id", wantMentions: []string{"number " + id, "string"}},
		{name: "wrong resource type", body: `{"data":{"type":"document","id":"` + id + `"}}`,
			wantStatus: 409, wantCode: mockplatform.CodeConflict, wantPointer: "/data/type", wantMentions: []string{`"document"`}},
		{name: "validation_required is a string", body: patch(`{"validation_required":"yes"}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/validation_required", wantMentions: []string{`"yes"`, "true or false"}},
		{name: "validation_required is null", body: patch(`{"validation_required":null}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/validation_required", wantMentions: []string{"null"}},
		{name: "not_for_training is a number", body: patch(`{"not_for_training":1}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/not_for_training", wantMentions: []string{"number 1"}},
		{name: "external_id is a number", body: patch(`{"external_id":5}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/external_id", wantMentions: []string{"number 5"}},
		{name: "custom_fields is an array", body: patch(`{"custom_fields":[]}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/attributes/custom_fields", wantMentions: []string{"an array"}},
		{name: "relationships", body: `{"data":{"type":"documents","id":"` + id + `","relationships":{}}}`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantPointer: "/data/relationships"},
		{name: "malformed JSON", body: `{"data":`,
			wantStatus: 400, wantCode: mockplatform.CodeInvalidBody, wantMentions: []string{"byte offset"}},
		{name: "query parameter", path: path + "?include=document_fields", body: patch(`{}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantParameter: "include"},
		{name: "unknown id", path: "/v2/documents/100999", body: `{"data":{"type":"documents","id":"100999"}}`,
			wantStatus: 404, wantCode: mockplatform.CodeNotFound, wantMentions: []string{"100999"}},
		{name: "other tenant's document", path: "/v2/documents/" + idB, body: `{"data":{"type":"documents","id":"` + idB + `","attributes":{"external_id":"stolen"}}}`,
			wantStatus: 404, wantCode: mockplatform.CodeNotFound, wantMentions: []string{idB}},
		{name: "invalid id in path", path: "/v2/documents/x1", body: patch(`{}`),
			wantStatus: 400, wantCode: mockplatform.CodeInvalidParameter, wantMentions: []string{`"x1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.method = http.MethodPatch
			if tt.path == "" {
				tt.path = path
			}
			tt.run(t, s)
		})
	}

	if d, _ := s.p.Document(mustID(t, id)); d.ExternalID != "keep" {
		t.Errorf("ExternalID after rejected patches = %q, want keep", d.ExternalID)
	}
	if d, _ := s.p.Document(mustID(t, idB)); d.ExternalID != "" {
		t.Errorf("other tenant's ExternalID = %q, want empty", d.ExternalID)
	}
}

func TestAPIUnknownRouteAndMethod(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	tests := []struct {
		name, method, path, contentType string
		wantStatus                      int
		wantCode                        mockplatform.ErrorCode
		wantAllow                       string
		wantMentions                    []string
	}{
		{"unknown path", http.MethodGet, "/v2/nope", "", 404, mockplatform.CodeNotFound, "", []string{"GET /v2/nope"}},
		{"path below a document", http.MethodGet, "/v2/documents/100001/files", "", 404, mockplatform.CodeNotFound, "", []string{"/v2/documents/100001/files"}},
		{"trailing slash", http.MethodGet, "/v2/documents/", "", 404, mockplatform.CodeNotFound, "", []string{"/v2/documents/"}},
		{"DELETE a document", http.MethodDelete, "/v2/documents/100001", "", 405, mockplatform.CodeMethodNotAllowed, "GET, PATCH", []string{"DELETE", "/v2/documents/100001"}},
		{"PUT the collection", http.MethodPut, "/v2/documents", mockplatform.MediaType, 405, mockplatform.CodeMethodNotAllowed, "GET, POST", []string{"PUT", "/v2/documents"}},
		{"POST a document with a wrong type", http.MethodPost, "/v2/documents/100001", "text/plain", 405, mockplatform.CodeMethodNotAllowed, "GET, PATCH", []string{"POST"}},
		{"outside the API", http.MethodGet, "/v3/documents", "", 404, mockplatform.CodeNotFound, "", []string{"/v3/documents"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.do(t, apiTokenA, tt.method, tt.path, tt.contentType, "")
			checkAPIError(t, resp, tt.wantStatus, tt.wantCode, tt.wantMentions...)
			if got := resp.header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
		})
	}

	reqs, _ := s.p.Requests()
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.Method+" "+r.Path)
	}
	for _, want := range []string{"GET /v2/nope", "DELETE /v2/documents/100001", "PUT /v2/documents"} {
		if !slices.Contains(paths, want) {
			t.Errorf("request journal %v lacks %s", paths, want)
		}
	}
	if slices.Contains(paths, "GET /v3/documents") {
		t.Errorf("request journal %v has GET /v3/documents, which is outside the REST API", paths)
	}
}

func TestAPIRequestJournal(t *testing.T) {
	s := startAPI(t, mockplatform.Options{})
	s.advance(t, 90*time.Second)
	s.get(t, apiTokenA, "/v2/documents?page[size]=5")
	id := s.create(t, apiTokenB, `{}`)
	s.get(t, "", "/v2/documents/"+id)
	s.get(t, apiTokenA, "/v2/documents/"+id+"?include=document_fields")
	s.do(t, apiTokenB, http.MethodPatch, "/v2/documents/"+id, "text/plain", "x")

	reqs, dropped := s.p.Requests()
	if dropped != 0 {
		t.Errorf("dropped = %d, want 0", dropped)
	}
	want := []mockplatform.Request{
		{Seq: 1, Method: "GET", Path: "/v2/documents", Query: "page[size]=5", Tenant: apiTenantA, StatusCode: 200},
		{Seq: 2, Method: "POST", Path: "/v2/documents", Tenant: apiTenantB, StatusCode: 201},
		{Seq: 3, Method: "GET", Path: "/v2/documents/" + id, Tenant: 0, StatusCode: 401},
		{Seq: 4, Method: "GET", Path: "/v2/documents/" + id, Query: "include=document_fields", Tenant: apiTenantA, StatusCode: 404},
		{Seq: 5, Method: "PATCH", Path: "/v2/documents/" + id, Tenant: apiTenantB, StatusCode: 415},
	}
	if len(reqs) != len(want) {
		t.Fatalf("len(Requests()) = %d, want %d: %+v", len(reqs), len(want), reqs)
	}
	wantTime := apiEpoch.Add(90 * time.Second)
	for i, w := range want {
		got := reqs[i]
		if got.Seq != w.Seq || got.Method != w.Method || got.Path != w.Path || got.Query != w.Query ||
			got.Tenant != w.Tenant || got.StatusCode != w.StatusCode {
			t.Errorf("Requests()[%d] = %+v, want %+v", i, got, w)
		}
		if !got.Time.Equal(wantTime) {
			t.Errorf("Requests()[%d].Time = %v, want the platform time %v", i, got.Time, wantTime)
		}
		if got.Latency <= 0 {
			t.Errorf("Requests()[%d].Latency = %v, want > 0", i, got.Latency)
		}
	}
	encoded, err := json.Marshal(reqs)
	if err != nil {
		t.Fatalf("Marshal(Requests()): %v", err)
	}
	for _, token := range []string{apiTokenA, apiTokenB} {
		if bytes.Contains(encoded, []byte(token)) {
			t.Errorf("request journal contains the token %q: %s", token, encoded)
		}
	}
}

func mustID(tb testing.TB, id string) int64 {
	tb.Helper()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		tb.Fatalf("document id %q is not an integer: %v", id, err)
	}
	return n
}

// FuzzCreateDocument posts arbitrary bodies to POST /v2/documents. The
// API must respond to each with a JSON:API document and a status a
// client can act on, never with a 500.
func FuzzCreateDocument(f *testing.F) {
	seeds := []string{
		`{"data":{"type":"documents"}}`,
		`{"data":{"type":"documents","attributes":{"files":[{"base64_file":"JVBERi0xLjQK","file_name":"a.pdf"}],"name":"n","external_id":"e","custom_fields":{"k":[1,{"x":null}]},"classification_scope":["invoice"],"validation_required":true}}}`,
		`{"data":{"type":"documents","attributes":{"custom_fields":{"mock_profile":"manual-all"}}}}`,
		`{"data":{"type":"invoices"}}`,
		`{"data":{"type":"documents","attributes":{"files":[{"base64_file":"@@"}]}}}`,
		`{"data":{"type":"documents","attributes":{"name":5}}}`,
		`{"data":{"type":"documents","attributes":{"a/b":1}}}`,
		`{"data":[{"type":"documents"}]}`,
		`{"data":{"type":"documents","attributes":{"custom_fields":{"n":1e999}}}}`,
		`{"data":{"type":"documents"}} trailing`,
		`[[[[[[[[[[[[[[[[[[[[`,
		`{"data":"\ud800"}`,
		"\xff\xfe",
		``,
		`null`,
	}
	for _, seed := range seeds {
		f.Add([]byte(seed))
	}
	s := startAPI(f, mockplatform.Options{MaxBodyBytes: 4096})
	allowed := []int{http.StatusCreated, http.StatusBadRequest, http.StatusConflict,
		http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType}

	f.Fuzz(func(t *testing.T, body []byte) {
		req := s.request(t, apiTokenA, http.MethodPost, "/v2/documents", mockplatform.MediaType, bytes.NewReader(body))
		resp := s.send(t, req)
		if !slices.Contains(allowed, resp.status) {
			t.Fatalf("status = %d, want one of %v; request body %q; response %s", resp.status, allowed, body, resp.body)
		}
		if got := resp.header.Get("Content-Type"); got != mockplatform.MediaType {
			t.Errorf("Content-Type = %q, want %q", got, mockplatform.MediaType)
		}
		var doc struct {
			Data   *apiResource      `json:"data"`
			Errors []json.RawMessage `json:"errors"`
		}
		if err := json.Unmarshal(resp.body, &doc); err != nil {
			t.Fatalf("response is not JSON: %v; body %s", err, resp.body)
		}
		if resp.status == http.StatusCreated && (doc.Data == nil || doc.Data.Type != "documents") {
			t.Errorf("201 without a documents resource: %s", resp.body)
		}
		if resp.status != http.StatusCreated && len(doc.Errors) != 1 {
			t.Errorf("status %d with %d errors, want 1: %s", resp.status, len(doc.Errors), resp.body)
		}
	})
}
