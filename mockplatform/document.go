package mockplatform

import (
	"slices"
	"sync"
	"time"
)

// Document is a snapshot of one document as the platform stores it.
// Values returned by the platform are copies: changing them changes
// nothing on the platform. Its JSON form is the control API's view of
// a document, with times to the nanosecond.
type Document struct {
	ID       int64  `json:"id"`
	TenantID int64  `json:"tenant_id"`
	Name     string `json:"name,omitempty"`

	// ExternalID is the caller's own reference; empty means null.
	ExternalID string `json:"external_id,omitempty"`

	Status       Status `json:"status"`
	WorkflowStep Stage  `json:"workflow_step"`

	// DocumentType is the document_type_identifier set by
	// classification; empty means null.
	DocumentType string `json:"document_type_identifier,omitempty"`

	CustomFields        map[string]any `json:"custom_fields,omitempty"`
	ClassificationScope []string       `json:"classification_scope,omitempty"`
	ValidationRequired  bool           `json:"validation_required"`
	NotForTraining      bool           `json:"not_for_training"`

	// SLADeadline is nil when the document has no deadline.
	SLADeadline *time.Time `json:"sla_deadline,omitempty"`

	// Profile names the workflow profile the document follows.
	Profile string `json:"profile"`

	// Topics lists the topics fired so far, in order.
	Topics []Topic `json:"topics"`

	// Files describes the uploaded files; their content is not kept.
	Files []File `json:"files,omitempty"`

	// Fields are the extracted document fields, filled by extraction.
	Fields []Field `json:"fields,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// File describes one uploaded file.
type File struct {
	Name        string `json:"file_name"`
	Size        int    `json:"size"`
	ContentType string `json:"content_type"`
}

// Field is one extracted document field.
type Field struct {
	ID         string      `json:"id"`
	Identifier string      `json:"identifier"`
	Value      string      `json:"value"`
	Candidates []Candidate `json:"extraction_candidates"`
}

// Candidate is one value extraction considered for a field.
type Candidate struct {
	Value      string  `json:"value"`
	Confidence float64 `json:"confidence"`
}

// clone returns a deep copy of d so callers cannot reach the stored one.
func (d *Document) clone() Document {
	c := *d
	c.CustomFields = cloneJSONMap(d.CustomFields)
	c.ClassificationScope = slices.Clone(d.ClassificationScope)
	c.Files = slices.Clone(d.Files)
	c.Fields = slices.Clone(d.Fields)
	for i := range c.Fields {
		c.Fields[i].Candidates = slices.Clone(c.Fields[i].Candidates)
	}
	c.Topics = slices.Clone(d.Topics)
	if d.SLADeadline != nil {
		t := *d.SLADeadline
		c.SLADeadline = &t
	}
	return c
}

// cloneJSONMap deep-copies a decoded JSON object.
func cloneJSONMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = cloneJSONValue(v)
	}
	return c
}

func cloneJSONValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneJSONMap(v)
	case []any:
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = cloneJSONValue(e)
		}
		return c
	default:
		return v
	}
}

// store keeps every document, indexed by id, in upload order, with the
// history of each document's workflow state.
type store struct {
	mu      sync.RWMutex
	docs    map[int64]*Document
	history map[int64][]version // oldest first
	ids     []int64             // ascending, because ids are assigned in order
	nextID  int64
}

// version is the workflow state of a document after one change, kept
// so that stale reads (FaultStale) can show an older state. It holds
// only the attributes the workflow changes: the struct is 88 bytes on
// 64-bit platforms, and a document gets at most one version per topic
// and per PATCH. Attributes that PATCH changes, such as external_id and
// custom_fields, are not kept, so a stale read shows their current
// values.
type version struct {
	// at is the document's updated_at after the change.
	at           time.Time
	status       Status
	workflowStep Stage
	documentType string
	// topics is the length of Document.Topics.
	topics int
	// extracted reports whether Document.Fields was filled.
	extracted bool
}

func versionOf(d *Document) version {
	return version{
		at:           d.UpdatedAt,
		status:       d.Status,
		workflowStep: d.WorkflowStep,
		documentType: d.DocumentType,
		topics:       len(d.Topics),
		extracted:    len(d.Fields) > 0,
	}
}

func (v version) equal(w version) bool {
	return v.at.Equal(w.at) && v.status == w.status && v.workflowStep == w.workflowStep &&
		v.documentType == w.documentType && v.topics == w.topics && v.extracted == w.extracted
}

func newStore(firstID int64) *store {
	return &store{
		docs:    make(map[int64]*Document),
		history: make(map[int64][]version),
		nextID:  firstID,
	}
}

// add assigns d the next id, stores it and returns the stored copy.
func (s *store) add(d Document) Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = s.nextID
	s.nextID++
	s.docs[d.ID] = &d
	s.history[d.ID] = []version{versionOf(&d)}
	s.ids = append(s.ids, d.ID)
	return d.clone()
}

// get returns a copy of the document with the given id.
func (s *store) get(id int64) (Document, bool) {
	return s.getAsOf(id, time.Time{})
}

// getAsOf returns a copy of the document with the given id as it was
// at t, as asOf describes. A zero t means its current state.
func (s *store) getAsOf(id int64, t time.Time) (Document, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.docs[id]
	if !ok {
		return Document{}, false
	}
	view := s.asOf(d, t)
	return view.clone(), true
}

// owner returns the tenant and external_id of the document with the
// given id without copying the rest of it.
func (s *store) owner(id int64) (tenant int64, externalID string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.docs[id]
	if !ok {
		return 0, "", false
	}
	return d.TenantID, d.ExternalID, true
}

// update applies fn to the stored document under the store's lock and
// returns a copy of the result. fn must not call back into the store.
// A change to the workflow state or to updated_at is appended to the
// document's history, which is how fire and PatchDocument record
// their versions.
func (s *store) update(id int64, fn func(*Document)) (Document, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[id]
	if !ok {
		return Document{}, false
	}
	fn(d)
	h := s.history[id]
	if v := versionOf(d); len(h) == 0 || !v.equal(h[len(h)-1]) {
		s.history[id] = append(h, v)
	}
	return d.clone(), true
}

// asOf returns a shallow copy of d with the workflow state of its
// latest version at or before t, or of its oldest version when it was
// created after t. A zero t returns d's current state. The caller
// holds s.mu and must clone the result before releasing it.
func (s *store) asOf(d *Document, t time.Time) Document {
	view := *d
	if t.IsZero() {
		return view
	}
	h := s.history[d.ID]
	if len(h) == 0 {
		return view
	}
	v := h[0]
	for i := len(h) - 1; i > 0; i-- {
		if !h[i].at.After(t) {
			v = h[i]
			break
		}
	}
	view.Status = v.status
	view.WorkflowStep = v.workflowStep
	view.DocumentType = v.documentType
	view.Topics = d.Topics[:v.topics:v.topics]
	if !v.extracted {
		view.Fields = nil
	}
	view.UpdatedAt = v.at
	return view
}

// query returns copies of the documents for which keep returns true,
// ordered by id (descending when desc is set), skipping offset of them
// and returning at most limit, with the number that matched in all. A
// nil keep keeps every document. Only the returned page is copied.
func (s *store) query(keep func(*Document) bool, desc bool, offset, limit int) ([]Document, int) {
	return s.queryAsOf(time.Time{}, keep, desc, offset, limit)
}

// queryAsOf is query over the documents as they were at t, as asOf
// describes, so keep filters on the older state too. A zero t means
// their current state.
func (s *store) queryAsOf(t time.Time, keep func(*Document) bool, desc bool, offset, limit int) ([]Document, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var page []Document
	total := 0
	for i := range s.ids {
		if desc {
			i = len(s.ids) - 1 - i
		}
		d := s.docs[s.ids[i]]
		if !t.IsZero() {
			view := s.asOf(d, t)
			d = &view
		}
		if keep != nil && !keep(d) {
			continue
		}
		if total >= offset && len(page) < limit {
			page = append(page, d.clone())
		}
		total++
	}
	return page, total
}

// len returns the number of stored documents.
func (s *store) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.ids)
}
