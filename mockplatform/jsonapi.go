package mockplatform

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JSON:API resource types of the REST API.
const (
	documentsType      = "documents"
	documentFieldsType = "document_fields"
)

// resourceObject is a JSON:API resource object.
type resourceObject struct {
	ID            string                        `json:"id"`
	Type          string                        `json:"type"`
	Attributes    any                           `json:"attributes"`
	Relationships map[string]toManyRelationship `json:"relationships,omitempty"`
	Links         *selfLink                     `json:"links,omitempty"`
}

// toManyRelationship is a relationship object with full linkage.
type toManyRelationship struct {
	Data []resourceIdentifier `json:"data"`
}

type resourceIdentifier struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type selfLink struct {
	Self string `json:"self"`
}

// documentAttributes are the attributes of a documents resource, in the
// platform's order. The pointers encode JSON null.
type documentAttributes struct {
	Name                   string         `json:"name"`
	Status                 Status         `json:"status"`
	WorkflowStep           Stage          `json:"workflow_step"`
	DocumentTypeIdentifier *string        `json:"document_type_identifier"`
	TenantID               int64          `json:"tenant_id"`
	ExternalID             *string        `json:"external_id"`
	CustomFields           map[string]any `json:"custom_fields"`
	ClassificationScope    []string       `json:"classification_scope"`
	ValidationRequired     bool           `json:"validation_required"`
	NotForTraining         bool           `json:"not_for_training"`
	SLADeadline            *string        `json:"sla_deadline"`
	CreatedAt              string         `json:"created_at"`
	UpdatedAt              string         `json:"updated_at"`
}

// fieldAttributes are the attributes of a document_fields resource.
type fieldAttributes struct {
	Identifier           string      `json:"identifier"`
	Value                string      `json:"value"`
	ExtractionCandidates []Candidate `json:"extraction_candidates"`
}

// singleResponse is the top-level document of a response about one
// document. Included is nil unless include=document_fields was given,
// and then an empty list is sent as [] rather than left out.
type singleResponse struct {
	Data     resourceObject   `json:"data"`
	Included []resourceObject `json:"included,omitzero"`
}

// listResponse is the top-level document of GET /v2/documents.
type listResponse struct {
	Data     []resourceObject `json:"data"`
	Included []resourceObject `json:"included,omitzero"`
	Links    pageLinks        `json:"links"`
	Meta     *listMeta        `json:"meta,omitempty"`
}

// pageLinks are the pagination links of a list response. They are
// relative references, because the host a consumer reaches the mock by
// (a published container port, a proxy) is not known to the mock.
type pageLinks struct {
	Self  string `json:"self"`
	First string `json:"first"`
	Last  string `json:"last"`
	Prev  string `json:"prev,omitempty"`
	Next  string `json:"next,omitempty"`
}

// listMeta carries stats[total]=count as meta.stats.total.count.
type listMeta struct {
	Stats struct {
		Total struct {
			Count int `json:"count"`
		} `json:"total"`
	} `json:"stats"`
}

// documentPath returns the path of the document's resource, used for
// links.self and the Location header.
func documentPath(id int64) string {
	return "/v2/documents/" + strconv.FormatInt(id, 10)
}

// documentResource encodes doc as a documents resource. With
// withFields, its relationships list the extracted fields.
func documentResource(doc Document, withFields bool) resourceObject {
	res := resourceObject{
		ID:         strconv.FormatInt(doc.ID, 10),
		Type:       documentsType,
		Attributes: newDocumentAttributes(doc),
		Links:      &selfLink{Self: documentPath(doc.ID)},
	}
	if withFields {
		ids := make([]resourceIdentifier, len(doc.Fields))
		for i, f := range doc.Fields {
			ids[i] = resourceIdentifier{Type: documentFieldsType, ID: f.ID}
		}
		res.Relationships = map[string]toManyRelationship{documentFieldsType: {Data: ids}}
	}
	return res
}

func newDocumentAttributes(doc Document) documentAttributes {
	attrs := documentAttributes{
		Name:                doc.Name,
		Status:              doc.Status,
		WorkflowStep:        doc.WorkflowStep,
		TenantID:            doc.TenantID,
		CustomFields:        doc.CustomFields,
		ClassificationScope: doc.ClassificationScope,
		ValidationRequired:  doc.ValidationRequired,
		NotForTraining:      doc.NotForTraining,
		CreatedAt:           formatTime(doc.CreatedAt),
		UpdatedAt:           formatTime(doc.UpdatedAt),
	}
	if attrs.CustomFields == nil {
		attrs.CustomFields = map[string]any{}
	}
	if attrs.ClassificationScope == nil {
		attrs.ClassificationScope = []string{}
	}
	if doc.DocumentType != "" {
		attrs.DocumentTypeIdentifier = &doc.DocumentType
	}
	if doc.ExternalID != "" {
		attrs.ExternalID = &doc.ExternalID
	}
	if doc.SLADeadline != nil {
		s := formatTime(*doc.SLADeadline)
		attrs.SLADeadline = &s
	}
	return attrs
}

// fieldResources encodes the extracted fields of doc as document_fields
// resources.
func fieldResources(doc Document) []resourceObject {
	out := make([]resourceObject, len(doc.Fields))
	for i, f := range doc.Fields {
		candidates := f.Candidates
		if candidates == nil {
			candidates = []Candidate{}
		}
		out[i] = resourceObject{
			ID:   f.ID,
			Type: documentFieldsType,
			Attributes: fieldAttributes{
				Identifier:           f.Identifier,
				Value:                f.Value,
				ExtractionCandidates: candidates,
			},
		}
	}
	return out
}

// newSingleResponse returns the response document for doc, with its
// fields in included when includeFields is set.
func newSingleResponse(doc Document, includeFields bool) singleResponse {
	resp := singleResponse{Data: documentResource(doc, includeFields)}
	if includeFields {
		resp.Included = fieldResources(doc)
	}
	return resp
}

// bodyPath locates a member of a request body, both as a JSON pointer
// for the error's source and as a dotted label for its
// detail, such as data.attributes.files[0].base64_file.
type bodyPath struct {
	pointer string
	label   string
}

var dataPath = bodyPath{pointer: "/data", label: "data"}

func (b bodyPath) member(name string) bodyPath {
	return bodyPath{pointer: b.pointer + "/" + pointerEscaper.Replace(name), label: b.label + "." + name}
}

// pointerEscaper escapes a member name for a JSON pointer: "~" becomes
// "~0" and "/" becomes "~1".
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func (b bodyPath) index(i int) bodyPath {
	return bodyPath{
		pointer: b.pointer + "/" + strconv.Itoa(i),
		label:   b.label + "[" + strconv.Itoa(i) + "]",
	}
}

// invalidBody returns a 400 about the body member at path.
func invalidBody(path bodyPath, format string, args ...any) *Error {
	e := errorf(CodeInvalidBody, "Invalid request body", format, args...)
	e.Pointer = path.pointer
	return e
}

// wrongType returns a 400 saying that the member at path is not of the
// wanted JSON type, such as "a string or null".
func wrongType(path bodyPath, want string, v any) *Error {
	return invalidBody(path, "%s must be %s, got %s", path.label, want, describeJSON(v))
}

// describeJSON names the JSON type of a decoded value and, for short
// scalars, the value itself, for error details.
func describeJSON(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case json.Number:
		return "number " + v.String()
	case string:
		return "string " + quoteShort(v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// quoteShort quotes s for an error detail, cut to 40 runes so that a
// long value such as file content does not flood the message.
func quoteShort(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return strconv.Quote(s)
	}
	runes := []rune(s)
	return strconv.Quote(string(runes[:limit])) + "…"
}

// decodeRequestDocument decodes a request body into a JSON object. The
// error's detail gives the byte offset of a syntax error.
func decodeRequestDocument(body []byte) (map[string]any, error) {
	const example = `{"data":{"type":"documents","attributes":{...}}}`
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errorf(CodeInvalidBody, "Invalid request body",
			"the request body is empty: send a JSON:API document such as %s", example)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	// Numbers stay as written, so an id in custom_fields above 2^53
	// comes back exact in responses and webhooks.
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, bodySyntaxError(err, len(body))
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errorf(CodeInvalidBody, "Invalid request body",
			"the request body has data after the JSON value that ends at byte offset %d: send exactly one JSON document", end)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(CodeInvalidBody, "Invalid request body",
			"the request body must be a JSON object such as %s, got %s", example, describeJSON(v))
	}
	if n, ok := findHugeNumber(doc); ok {
		return nil, errorf(CodeInvalidBody, "Invalid request body",
			"the request body has the number %s, which is out of the range of a 64-bit floating-point number that clients can decode", n)
	}
	return doc, nil
}

// findHugeNumber returns a number in v that overflows a float64, such
// as 1e400, which most JSON clients cannot decode.
func findHugeNumber(v any) (json.Number, bool) {
	switch v := v.(type) {
	case json.Number:
		if _, err := strconv.ParseFloat(string(v), 64); err != nil {
			return v, true
		}
	case map[string]any:
		for _, e := range v {
			if n, ok := findHugeNumber(e); ok {
				return n, true
			}
		}
	case []any:
		for _, e := range v {
			if n, ok := findHugeNumber(e); ok {
				return n, true
			}
		}
	}
	return "", false
}

// bodySyntaxError turns a decoding error into a 400 naming the byte offset.
func bodySyntaxError(err error, size int) *Error {
	var syntax *json.SyntaxError
	var number *json.UnmarshalTypeError
	offset := int64(size)
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &number):
		// Decoding into an empty interface reports this error only for
		// a number that does not fit a float64, such as 1e400.
		return errorf(CodeInvalidBody, "Invalid request body",
			"the request body has %s at byte offset %d, which is out of the range of a 64-bit floating-point number", number.Value, number.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = errors.New("unexpected end of JSON input")
	}
	return errorf(CodeInvalidBody, "Invalid request body",
		"the request body is not valid JSON: %v at byte offset %d", err, offset)
}

// primaryData returns the data member of a request document. Besides
// data, JSON:API allows only meta and jsonapi at the top level of a
// request, and the mock ignores both.
func primaryData(doc map[string]any) (map[string]any, error) {
	for _, name := range sortedKeys(doc) {
		switch name {
		case "data", "meta", "jsonapi":
		default:
			return nil, invalidBody(bodyPath{pointer: "/" + pointerEscaper.Replace(name), label: name},
				"top-level member %s is not supported: a request document has data and optionally meta and jsonapi", quoteShort(name))
		}
	}
	raw, ok := doc["data"]
	if !ok {
		return nil, invalidBody(dataPath,
			`the data member is missing: send {"data":{"type":"documents","attributes":{...}}}`)
	}
	data, ok := raw.(map[string]any)
	if !ok {
		return nil, wrongType(dataPath, "a resource object (the API takes one document per request)", raw)
	}
	return data, nil
}

// checkResourceType checks that data.type is "documents".
func checkResourceType(data map[string]any) error {
	path := dataPath.member("type")
	raw, ok := data["type"]
	if !ok {
		return invalidBody(path, `data.type is missing: set it to "documents"`)
	}
	typ, ok := raw.(string)
	if !ok {
		return wrongType(path, `the string "documents"`, raw)
	}
	if typ != documentsType {
		// JSON:API requires 409 Conflict when the resource type of a
		// create or update request does not match the endpoint.
		e := errorf(CodeConflict, "Conflict",
			`data.type %s does not match the endpoint: /v2/documents takes resources of type "documents"`, quoteShort(typ))
		e.Pointer = path.pointer
		return e
	}
	return nil
}

// checkDataMembers rejects members of data other than type, attributes,
// meta and, when idAllowed is set, id.
func checkDataMembers(data map[string]any, idAllowed bool) error {
	for _, name := range sortedKeys(data) {
		path := dataPath.member(name)
		switch {
		case name == "type" || name == "attributes" || name == "meta":
		case name == "id" && idAllowed:
		case name == "id":
			// NOTE: JSON:API requires 403 Forbidden for a
			// client-generated id that the server does not support.
			// ErrorCode has no code for 403, so the mock returns 400.
			return invalidBody(path, "data.id is not supported when creating a document: the platform assigns ids, so remove data.id")
		case name == "relationships":
			return invalidBody(path, "data.relationships is not supported: a document has no writable relationships, so remove it")
		default:
			return invalidBody(path, "data member %s is not supported: a resource object has type, id, attributes and meta", quoteShort(name))
		}
	}
	return nil
}

// attributesOf returns data.attributes, or an empty object when it is
// absent.
func attributesOf(data map[string]any) (map[string]any, error) {
	raw, ok := data["attributes"]
	if !ok {
		return map[string]any{}, nil
	}
	attrs, ok := raw.(map[string]any)
	if !ok {
		return nil, wrongType(dataPath.member("attributes"), "an object", raw)
	}
	return attrs, nil
}

var attributesPath = dataPath.member("attributes")

// createAttributes are the attributes POST /v2/documents accepts.
var createAttributes = []string{"files", "name", "external_id", "custom_fields", "classification_scope", "validation_required"}

// patchAttributes are the attributes PATCH /v2/documents/{id} accepts.
var patchAttributes = []string{"external_id", "custom_fields", "validation_required", "not_for_training"}

// platformAttributes are the attributes only the platform sets.
var platformAttributes = []string{"status", "workflow_step", "document_type_identifier", "tenant_id", "sla_deadline", "created_at", "updated_at"}

// parseCreateBody decodes the body of POST /v2/documents into an Upload
// without a tenant. Every attribute is optional, and null means absent.
func parseCreateBody(body []byte) (Upload, error) {
	attrs, err := requestAttributes(body, 0)
	if err != nil {
		return Upload{}, err
	}
	var up Upload
	for _, name := range sortedKeys(attrs) {
		if err := setCreateAttribute(&up, name, attrs[name]); err != nil {
			return Upload{}, err
		}
	}
	return up, nil
}

// requestAttributes decodes a request body down to data.attributes,
// checking the document's structure and resource type on the way. A
// patchID of zero means a create request, which must not have data.id.
// Any other patchID must equal data.id.
func requestAttributes(body []byte, patchID int64) (map[string]any, error) {
	doc, err := decodeRequestDocument(body)
	if err != nil {
		return nil, err
	}
	data, err := primaryData(doc)
	if err != nil {
		return nil, err
	}
	if err := checkResourceType(data); err != nil {
		return nil, err
	}
	if patchID != 0 {
		if err := checkPatchID(data, patchID); err != nil {
			return nil, err
		}
	}
	if err := checkDataMembers(data, patchID != 0); err != nil {
		return nil, err
	}
	return attributesOf(data)
}

func setCreateAttribute(up *Upload, name string, v any) error {
	path := attributesPath.member(name)
	var err error
	switch name {
	case "files":
		up.Files, err = parseFiles(path, v)
	case "name":
		up.Name, err = optionalString(path, v)
	case "external_id":
		up.ExternalID, err = optionalString(path, v)
	case "custom_fields":
		up.CustomFields, err = parseCustomFields(path, v)
	case "classification_scope":
		up.ClassificationScope, err = parseScope(path, v)
	case "validation_required":
		var b *bool
		b, err = optionalBool(path, v)
		up.ValidationRequired = b != nil && *b
	case "not_for_training":
		err = invalidBody(path, "not_for_training cannot be set when creating a document: set it afterwards with PATCH /v2/documents/{id}")
	default:
		err = unknownAttribute(path, name, createAttributes)
	}
	return err
}

// unknownAttribute names an attribute the request may not set: a
// read-only one or one the platform does not have.
func unknownAttribute(path bodyPath, name string, accepted []string) error {
	if slices.Contains(platformAttributes, name) {
		return invalidBody(path, "attribute %q is read-only because the platform sets it: this request accepts %s", name, strings.Join(accepted, ", "))
	}
	if slices.Contains(createAttributes, name) {
		return invalidBody(path, "attribute %q can only be set when creating a document: this request accepts %s", name, strings.Join(accepted, ", "))
	}
	return invalidBody(path, "unknown attribute %s: this request accepts %s", quoteShort(name), strings.Join(accepted, ", "))
}

func optionalString(path bodyPath, v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	return "", wrongType(path, "a string or null", v)
}

// optionalBool returns nil for null.
func optionalBool(path bodyPath, v any) (*bool, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case bool:
		return &v, nil
	}
	return nil, wrongType(path, "true, false or null", v)
}

// parseCustomFields returns nil for null. A mock_profile member must be
// a string, because it selects the workflow profile.
func parseCustomFields(path bodyPath, v any) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	fields, ok := v.(map[string]any)
	if !ok {
		return nil, wrongType(path, "an object or null", v)
	}
	if profile, ok := fields[ProfileField]; ok {
		if _, ok := profile.(string); !ok {
			return nil, wrongType(path.member(ProfileField), "a string naming a workflow profile", profile)
		}
	}
	return fields, nil
}

func parseScope(path bodyPath, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, wrongType(path, "an array of document type identifiers or null", v)
	}
	scope := make([]string, len(list))
	for i, item := range list {
		s, ok := item.(string)
		if !ok || s == "" {
			return nil, wrongType(path.index(i), "a non-empty string", item)
		}
		scope[i] = s
	}
	return scope, nil
}

func parseFiles(path bodyPath, v any) ([]UploadFile, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, wrongType(path, `an array of {"base64_file": ..., "file_name": ...} objects or null`, v)
	}
	files := make([]UploadFile, len(list))
	for i, item := range list {
		f, err := parseFile(path.index(i), item)
		if err != nil {
			return nil, err
		}
		files[i] = f
	}
	return files, nil
}

// parseFile decodes one member of files. base64_file is required and
// file_name is optional.
func parseFile(path bodyPath, v any) (UploadFile, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return UploadFile{}, wrongType(path, `an object with base64_file and file_name`, v)
	}
	var f UploadFile
	for _, name := range sortedKeys(obj) {
		var err error
		switch name {
		case "file_name":
			f.Name, err = optionalString(path.member(name), obj[name])
		case "base64_file":
			f.Content, err = decodeBase64(path.member(name), obj[name])
		default:
			err = invalidBody(path.member(name), "%s has unknown member %s: a file has base64_file and file_name", path.label, quoteShort(name))
		}
		if err != nil {
			return UploadFile{}, err
		}
	}
	if _, ok := obj["base64_file"]; !ok {
		return UploadFile{}, invalidBody(path.member("base64_file"), "%s.base64_file is missing: send the file content in base64", path.label)
	}
	return f, nil
}

// decodeBase64 decodes file content in the standard base64 alphabet of
// RFC 4648. Padding is optional because many encoders leave it out, and
// line breaks are skipped, as encoding/base64 does, so MIME-wrapped
// output is accepted. The URL-safe alphabet is rejected: a lenient
// decoder on the other side could turn it into a corrupt file without
// an error.
func decodeBase64(path bodyPath, v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, wrongType(path, "a base64 string", v)
	}
	if s == "" {
		return nil, invalidBody(path, "%s is empty: send the file content in base64", path.label)
	}
	enc := base64.RawStdEncoding
	if strings.Contains(s, "=") {
		enc = base64.StdEncoding
	}
	content, err := enc.DecodeString(s)
	if err == nil {
		return content, nil
	}
	hint := "use the standard base64 alphabet (A-Z, a-z, 0-9, + and /) with or without = padding"
	if strings.ContainsAny(s, "-_") {
		hint = "it contains - or _ from the URL-safe alphabet: " + hint
	}
	if strings.HasPrefix(s, "data:") {
		hint = "it starts like a data URL: send only the base64 part after the comma"
	}
	return nil, invalidBody(path, "%s is not valid base64 (%v): %s", path.label, err, hint)
}

// parsePatchBody decodes the body of PATCH /v2/documents/{id}. data.id
// is required, as JSON:API requires, and must equal id.
func parsePatchBody(body []byte, id int64) (Patch, error) {
	attrs, err := requestAttributes(body, id)
	if err != nil {
		return Patch{}, err
	}
	var patch Patch
	for _, name := range sortedKeys(attrs) {
		if err := setPatchAttribute(&patch, name, attrs[name]); err != nil {
			return Patch{}, err
		}
	}
	return patch, nil
}

// checkPatchID checks that data.id is the id in the URL.
func checkPatchID(data map[string]any, id int64) error {
	path := dataPath.member("id")
	want := strconv.FormatInt(id, 10)
	raw, ok := data["id"]
	if !ok {
		return invalidBody(path, "data.id is missing: JSON:API requires it on update, so set it to %q", want)
	}
	got, ok := raw.(string)
	if !ok {
		return wrongType(path, fmt.Sprintf("the string %q (JSON:API ids are strings)", want), raw)
	}
	if got != want {
		// JSON:API requires 409 Conflict when the id in the body does
		// not match the resource the URL names.
		e := errorf(CodeConflict, "Conflict", "data.id %s does not match the id %s in the URL: send the same id in both", quoteShort(got), want)
		e.Pointer = path.pointer
		return e
	}
	return nil
}

// setPatchAttribute sets one attribute on patch. A null external_id or
// custom_fields clears it. Booleans cannot be null, because a document
// always has a value for them.
func setPatchAttribute(patch *Patch, name string, v any) error {
	path := attributesPath.member(name)
	var err error
	switch name {
	case "external_id":
		var s string
		s, err = optionalString(path, v)
		patch.ExternalID = &s
	case "custom_fields":
		patch.CustomFields, err = parseCustomFields(path, v)
		if err == nil && patch.CustomFields == nil {
			patch.CustomFields = map[string]any{}
		}
	case "validation_required":
		patch.ValidationRequired, err = requiredBool(path, v)
	case "not_for_training":
		patch.NotForTraining, err = requiredBool(path, v)
	default:
		err = unknownAttribute(path, name, patchAttributes)
	}
	return err
}

func requiredBool(path bodyPath, v any) (*bool, error) {
	b, ok := v.(bool)
	if !ok {
		return nil, wrongType(path, "true or false", v)
	}
	return &b, nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
