package mockplatform

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// The paging bounds of GET /v2/documents.
const (
	defaultPageSize = 25
	maxPageSize     = 100
)

// acceptedMediaTypes are the request Content-Types of POST and PATCH.
// application/json is accepted besides the JSON:API type because many
// HTTP clients send it by default.
var acceptedMediaTypes = []string{MediaType, "application/json"}

// apiRoutes registers the REST API on r, the router for paths under
// /v2/.
func (p *Platform) apiRoutes(r *mux.Router) {
	routes := []*mux.Route{
		r.Handle("/v2/documents", p.api(p.createDocument)).Methods(http.MethodPost),
		r.Handle("/v2/documents", p.api(p.listDocuments)).Methods(http.MethodGet),
		r.Handle("/v2/documents/{id}", p.api(p.showDocument)).Methods(http.MethodGet),
		r.Handle("/v2/documents/{id}", p.api(p.patchDocument)).Methods(http.MethodPatch),
	}
	// The router's NotFoundHandler and MethodNotAllowedHandler, which
	// routes sets, bypass the middleware that api adds, so requests for
	// unknown paths and methods would be missing from the request
	// journal. This last route matches them instead, passes them
	// through the journal and authentication, and then calls those
	// handlers.
	r.PathPrefix("/").Handler(p.apiFallback(unmatchedAPIRequest(r, routes)))
}

// unmatchedAPIRequest returns the handler of requests that no route
// matches. When another method would match, it sets the Allow header
// that RFC 9110 requires on a 405 and calls the router's
// MethodNotAllowedHandler. Otherwise it calls the NotFoundHandler.
// Both handlers are read per request, because routes sets them after
// apiRoutes returns.
func unmatchedAPIRequest(router *mux.Router, routes []*mux.Route) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		allowed := allowedMethods(routes, r)
		if len(allowed) == 0 {
			if router.NotFoundHandler == nil {
				return errorf(CodeNotFound, "Not found", "no route for %s %s: the REST API has /v2/documents and /v2/documents/{id}", r.Method, r.URL.Path)
			}
			router.NotFoundHandler.ServeHTTP(w, r)
			return nil
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		if router.MethodNotAllowedHandler == nil {
			return errorf(CodeMethodNotAllowed, "Method not allowed", "%s is not allowed on %s: use %s", r.Method, r.URL.Path, strings.Join(allowed, " or "))
		}
		router.MethodNotAllowedHandler.ServeHTTP(w, r)
		return nil
	}
}

// allowedMethods returns the methods with which one of routes would
// match the request's path.
func allowedMethods(routes []*mux.Route, r *http.Request) []string {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch} {
		probe := r.WithContext(r.Context())
		probe.Method = m
		for _, route := range routes {
			if route.Match(probe, &mux.RouteMatch{}) {
				allowed = append(allowed, m)
				break
			}
		}
	}
	return allowed
}

// createDocument handles POST /v2/documents.
func (p *Platform) createDocument(w http.ResponseWriter, r *http.Request) error {
	if _, err := queryParameters(r, nil); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	up, err := parseCreateBody(body)
	if err != nil {
		return err
	}
	if err := p.checkUploadProfile(up); err != nil {
		return err
	}
	up.TenantID = tenantOf(r)
	doc, err := p.Upload(up)
	if err != nil {
		return uploadError(err)
	}
	w.Header().Set("Location", documentPath(doc.ID))
	writeDocument(w, http.StatusCreated, &doc)
	return nil
}

// checkUploadProfile checks the profile that custom_fields.mock_profile
// selects before Upload does, so the error can point at the member.
func (p *Platform) checkUploadProfile(up Upload) error {
	name, ok := up.CustomFields[ProfileField].(string)
	if !ok {
		return nil
	}
	if _, ok := p.profile(name); ok {
		return nil
	}
	path := attributesPath.member("custom_fields").member(ProfileField)
	return invalidBody(path, "%s names the workflow profile %s, which is not defined: use one of %s",
		path.label, quoteShort(name), p.profileNames())
}

// uploadError maps an error of Platform.Upload to an API error.
func uploadError(err error) error {
	if errors.Is(err, ErrClosed) {
		return errorf(CodeInternal, "Internal error", "the mock is shutting down and accepts no new documents")
	}
	return invalidBody(dataPath, "the document was rejected: %v", err)
}

// showDocument handles GET /v2/documents/{id}.
func (p *Platform) showDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := documentID(r)
	if err != nil {
		return err
	}
	q, err := queryParameters(r, []string{"include"})
	if err != nil {
		return err
	}
	includeFields, err := parseInclude(q)
	if err != nil {
		return err
	}
	doc, err := p.tenantDocument(tenantOf(r), id, stateOf(r).staleAt, includeFields)
	if err != nil {
		return err
	}
	if !includeFields {
		writeDocument(w, http.StatusOK, &doc)
		return nil
	}
	writeJSON(w, http.StatusOK, newSingleResponse(doc, true))
	return nil
}

// patchDocument handles PATCH /v2/documents/{id}.
func (p *Platform) patchDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := documentID(r)
	if err != nil {
		return err
	}
	if _, err := queryParameters(r, nil); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	patch, err := parsePatchBody(body, id)
	if err != nil {
		return err
	}
	doc, ok := p.PatchDocument(tenantOf(r), id, patch)
	if !ok {
		return documentNotFound(id)
	}
	writeDocument(w, http.StatusOK, &doc)
	return nil
}

// documentID returns the {id} path variable. It must be a positive
// integer in the form the API sends it, without sign or leading zeros.
func documentID(r *http.Request) (int64, error) {
	// Without the router's variable, the request came through
	// showFastRoute, whose path is /v2/documents/{id}.
	raw, routed := mux.Vars(r)["id"]
	if !routed {
		raw = strings.TrimPrefix(r.URL.Path, "/v2/documents/")
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0, errorf(CodeInvalidParameter, "Invalid parameter",
			"document id %s in the path %s is invalid: use a positive integer id as the API returns it, such as %d",
			quoteShort(raw), r.URL.Path, DefaultFirstID)
	}
	return id, nil
}

// tenantDocument returns the document as it was at the platform time
// asOf (zero means now) if it belongs to tenant, with its extracted
// fields when withFields is set. Another tenant's document is reported
// as not found, as if it did not exist. The document shares its maps
// and slices with the store, so the caller must only read them.
func (p *Platform) tenantDocument(tenant, id int64, asOf time.Time, withFields bool) (Document, error) {
	doc, ok := p.store.viewAsOf(id, asOf, withFields)
	if !ok || doc.TenantID != tenant {
		return Document{}, documentNotFound(id)
	}
	return doc, nil
}

func documentNotFound(id int64) *Error {
	return errorf(CodeNotFound, "Not found",
		"document %d not found: no document with this id belongs to the tenant of your token", id)
}

// queryParameters parses the request's query and returns one value per
// parameter. It rejects a parameter not in accepted and one given more
// than once, because a mock must report unexpected input.
func queryParameters(r *http.Request, accepted []string) (map[string]string, error) {
	if r.URL.RawQuery == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errorf(CodeInvalidParameter, "Invalid parameter",
			"the query string is invalid (%v): separate parameters with & and percent-encode their values", err)
	}
	out := make(map[string]string, len(q))
	for _, name := range sortedKeys(q) {
		if !slices.Contains(accepted, name) {
			return nil, unknownParameter(r, name, accepted)
		}
		if len(q[name]) > 1 {
			return nil, invalidParameter(name, "query parameter %s is given %d times: give it once", name, len(q[name]))
		}
		out[name] = q[name][0]
	}
	return out, nil
}

func unknownParameter(r *http.Request, name string, accepted []string) *Error {
	e := invalidParameter(name, "query parameter %s is not supported on %s %s: ", quoteShort(name), r.Method, r.URL.Path)
	if len(accepted) == 0 {
		e.Detail += "this request takes no query parameters"
	} else {
		e.Detail += "use " + strings.Join(accepted, ", ")
	}
	return e
}

// invalidParameter returns a 400 about the query parameter name.
func invalidParameter(name, format string, args ...any) *Error {
	e := errorf(CodeInvalidParameter, "Invalid parameter", format, args...)
	e.Parameter = name
	return e
}

// parseInclude reports whether include=document_fields was given; no
// other relationship can be included.
func parseInclude(q map[string]string) (bool, error) {
	v, ok := q["include"]
	if !ok {
		return false, nil
	}
	if v != documentFieldsType {
		return false, invalidParameter("include", "include=%s is not supported: the only relationship that can be included is %s", quoteShort(v), documentFieldsType)
	}
	return true, nil
}

// listParameters are the query parameters GET /v2/documents accepts.
var listParameters = []string{
	"filter[external_id]", "filter[status]", "filter[id_gte]", "filter[id_lte]",
	"page[number]", "page[size]", "sort", "stats[total]", "include",
}

// listQuery is the parsed query of GET /v2/documents.
type listQuery struct {
	externalID    string
	statuses      []Status // nil means any status
	idGTE, idLTE  *int64
	page, size    int
	desc          bool
	stats         bool
	includeFields bool
}

// listDocuments handles GET /v2/documents.
func (p *Platform) listDocuments(w http.ResponseWriter, r *http.Request) error {
	params, err := queryParameters(r, listParameters)
	if err != nil {
		return err
	}
	q, err := parseListQuery(params)
	if err != nil {
		return err
	}
	st := stateOf(r)
	docs, total := p.store.queryAsOf(st.staleAt, q.keep(st.tenant), q.desc, q.offset(), q.size, q.includeFields)

	resp := listResponse{Data: make([]resourceObject, len(docs)), Links: q.links(total)}
	for i, doc := range docs {
		resp.Data[i] = documentResource(doc, q.includeFields)
	}
	if q.includeFields {
		resp.Included = []resourceObject{}
		for _, doc := range docs {
			resp.Included = append(resp.Included, fieldResources(doc)...)
		}
	}
	if q.stats {
		resp.Meta = &listMeta{}
		resp.Meta.Stats.Total.Count = total
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// parseListQuery parses the parameters that queryParameters accepted.
func parseListQuery(params map[string]string) (listQuery, error) {
	q := listQuery{page: 1, size: defaultPageSize}
	var err error

	if v, ok := params["filter[external_id]"]; ok {
		if v == "" {
			return q, invalidParameter("filter[external_id]", "filter[external_id] is empty: give the external id to match")
		}
		q.externalID = v
	}
	if v, ok := params["filter[status]"]; ok {
		if q.statuses, err = parseStatusFilter(v); err != nil {
			return q, err
		}
	}
	if q.idGTE, err = parseIDBound(params, "filter[id_gte]"); err != nil {
		return q, err
	}
	if q.idLTE, err = parseIDBound(params, "filter[id_lte]"); err != nil {
		return q, err
	}

	if q.page, err = parsePageParameter(params, "page[number]", 1, math.MaxInt32, 1); err != nil {
		return q, err
	}
	if q.size, err = parsePageParameter(params, "page[size]", 1, maxPageSize, defaultPageSize); err != nil {
		return q, err
	}
	if q.desc, err = parseSort(params); err != nil {
		return q, err
	}

	if v, ok := params["stats[total]"]; ok {
		if v != "count" {
			return q, invalidParameter("stats[total]", "stats[total]=%s is not supported: the only statistic is stats[total]=count", quoteShort(v))
		}
		q.stats = true
	}
	q.includeFields, err = parseInclude(params)
	return q, err
}

// parseStatusFilter parses a comma-separated list of statuses.
func parseStatusFilter(v string) ([]Status, error) {
	valid := []Status{StatusPending, StatusInProgress, StatusDone, StatusFailed}
	var statuses []Status
	for _, s := range strings.Split(v, ",") {
		st := Status(s)
		if !slices.Contains(valid, st) {
			return nil, invalidParameter("filter[status]",
				"filter[status] has the unknown status %s: use one or a comma-separated list of pending, in_progress, done, failed", quoteShort(s))
		}
		statuses = append(statuses, st)
	}
	return statuses, nil
}

// parseIDBound parses an optional integer id filter.
func parseIDBound(params map[string]string, name string) (*int64, error) {
	v, ok := params[name]
	if !ok {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, invalidParameter(name, "%s=%s is not an integer: give a document id such as %d", name, quoteShort(v), DefaultFirstID)
	}
	return &n, nil
}

// parsePageParameter parses an optional integer in [lo, hi].
func parsePageParameter(params map[string]string, name string, lo, hi, def int) (int, error) {
	v, ok := params[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, invalidParameter(name, "%s=%s is invalid: use an integer from %d to %d", name, quoteShort(v), lo, hi)
	}
	return n, nil
}

// parseSort reports whether sort=-id requests descending ids.
func parseSort(params map[string]string) (bool, error) {
	v, ok := params["sort"]
	if !ok {
		return false, nil
	}
	switch v {
	case "id":
		return false, nil
	case "-id":
		return true, nil
	}
	return false, invalidParameter("sort", "sort=%s is not supported: documents sort by id, so use sort=id or sort=-id", quoteShort(v))
}

// keep returns the store filter for the query and tenant.
func (q listQuery) keep(tenant int64) func(*Document) bool {
	return func(d *Document) bool {
		switch {
		case d.TenantID != tenant:
			return false
		case q.externalID != "" && d.ExternalID != q.externalID:
			return false
		case q.statuses != nil && !slices.Contains(q.statuses, d.Status):
			return false
		case q.idGTE != nil && d.ID < *q.idGTE:
			return false
		case q.idLTE != nil && d.ID > *q.idLTE:
			return false
		}
		return true
	}
}

// offset returns the number of matching documents before the page.
// The page number is at most math.MaxInt32 and the size at most
// maxPageSize, so the product fits an int on 64-bit platforms.
func (q listQuery) offset() int {
	return (q.page - 1) * q.size
}

// links returns the pagination links for a result of total documents.
// Each link is a relative reference that repeats the query in
// canonical form: parameters sorted by name and percent-encoded by
// url.Values.Encode, sort only when it is -id, and page[number] and
// page[size] always present.
func (q listQuery) links(total int) pageLinks {
	last := max(1, (total+q.size-1)/q.size)
	l := pageLinks{
		Self:  q.pageURL(q.page),
		First: q.pageURL(1),
		Last:  q.pageURL(last),
	}
	if q.page > 1 {
		l.Prev = q.pageURL(min(q.page-1, last))
	}
	if q.page < last {
		l.Next = q.pageURL(q.page + 1)
	}
	return l
}

func (q listQuery) pageURL(page int) string {
	v := url.Values{}
	if q.externalID != "" {
		v.Set("filter[external_id]", q.externalID)
	}
	if q.statuses != nil {
		names := make([]string, len(q.statuses))
		for i, s := range q.statuses {
			names[i] = string(s)
		}
		v.Set("filter[status]", strings.Join(names, ","))
	}
	if q.idGTE != nil {
		v.Set("filter[id_gte]", strconv.FormatInt(*q.idGTE, 10))
	}
	if q.idLTE != nil {
		v.Set("filter[id_lte]", strconv.FormatInt(*q.idLTE, 10))
	}
	if q.desc {
		v.Set("sort", "-id")
	}
	if q.stats {
		v.Set("stats[total]", "count")
	}
	if q.includeFields {
		v.Set("include", documentFieldsType)
	}
	v.Set("page[number]", strconv.Itoa(page))
	v.Set("page[size]", strconv.Itoa(q.size))
	return "/v2/documents?" + v.Encode()
}
