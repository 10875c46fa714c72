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

// store keeps every document in upload order, with the history of
// each document's workflow state. Ids are assigned in order from
// firstID, so docs[i] has id firstID+i.
//
// A stored document's maps and slices are replaced, never changed in
// place, except that fire appends to Topics. A shallow copy can
// therefore share them, as long as its holder only reads them.
type store struct {
	mu      sync.RWMutex
	firstID int64
	docs    []*storedDocument
	// fields derives the extracted fields of a document that went
	// through extraction.
	fields func(*Document) []Field
}

// storedDocument is a document as the store keeps it. Its Fields stay
// nil, because extraction draws the fields from the seed, the document
// id and its type alone. Copies get them from store.fields instead,
// which saves over 1 KiB per document for the nine fake fields.
type storedDocument struct {
	Document
	// extracted reports whether extraction has run.
	extracted bool
	// history holds the workflow state after each change, oldest
	// first.
	history []version
}

// version is the workflow state of a document after one change, kept
// so that stale reads (FaultStale) can show an older state. It holds
// only the attributes the workflow changes: the struct is 32 bytes on
// 64-bit platforms, and a document gets at most one version per topic
// and per PATCH. Attributes that PATCH changes, such as external_id and
// custom_fields, are not kept, so a stale read shows their current
// values.
type version struct {
	// at is the document's updated_at after the change.
	at time.Time
	// status is an index into statusOrder, and workflowStep into
	// Stages.
	status       uint8
	workflowStep uint8
	// topics is the length of Document.Topics.
	topics uint8
	// typed reports whether classification had set the document type,
	// which no later change alters.
	typed bool
	// extracted reports whether extraction had run.
	extracted bool
}

// statusOrder numbers the statuses for version.
var statusOrder = []Status{StatusPending, StatusInProgress, StatusDone, StatusFailed}

func versionOf(d *storedDocument) version {
	return version{
		at:           d.UpdatedAt,
		status:       uint8(slices.Index(statusOrder, d.Status)),
		workflowStep: uint8(slices.Index(Stages, d.WorkflowStep)),
		topics:       uint8(len(d.Topics)),
		typed:        d.DocumentType != "",
		extracted:    d.extracted,
	}
}

func (v version) equal(w version) bool {
	return v.at.Equal(w.at) && v.status == w.status && v.workflowStep == w.workflowStep &&
		v.topics == w.topics && v.typed == w.typed && v.extracted == w.extracted
}

func newStore(firstID int64, fields func(*Document) []Field) *store {
	return &store{firstID: firstID, fields: fields}
}

// add assigns d the next id, stores it and returns a shallow copy of
// the stored document. versions is the number of changes the workflow
// will make, so the history needs no reallocation.
func (s *store) add(d Document, versions int) Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = s.firstID + int64(len(s.docs))
	sd := &storedDocument{Document: d}
	sd.history = append(make([]version, 0, max(versions, 1)), versionOf(sd))
	s.docs = append(s.docs, sd)
	return sd.Document
}

// lookup returns the stored document with the given id. The caller
// holds s.mu.
func (s *store) lookup(id int64) (*storedDocument, bool) {
	i := id - s.firstID
	if i < 0 || i >= int64(len(s.docs)) {
		return nil, false
	}
	return s.docs[i], true
}

// copyOf returns a deep copy of d, with its extracted fields when
// withFields is set and extraction has run. The caller holds s.mu.
func (s *store) copyOf(d *storedDocument, withFields bool) Document {
	c := d.clone()
	if withFields && d.extracted {
		// Derived from d rather than &c, which would move c to the
		// heap on every call.
		c.Fields = s.fields(&d.Document)
	}
	return c
}

// get returns a copy of the document with the given id, with its
// extracted fields.
func (s *store) get(id int64) (Document, bool) {
	return s.getAsOf(id, time.Time{}, true)
}

// getAsOf returns a copy of the document with the given id as it was
// at t, as asOf describes. A zero t means its current state. The copy
// has the extracted fields only when withFields is set.
func (s *store) getAsOf(id int64, t time.Time, withFields bool) (Document, bool) {
	view, ok := s.viewAsOf(id, t, withFields)
	if !ok {
		return Document{}, false
	}
	return view.clone(), true
}

// viewAsOf is getAsOf without the deep copy: the view shares the
// stored document's maps and slices, which its holder must only read.
func (s *store) viewAsOf(id int64, t time.Time, withFields bool) (Document, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.lookup(id)
	if !ok {
		return Document{}, false
	}
	return s.asOf(d, t, withFields), true
}

// owner returns the tenant and external_id of the document with the
// given id without copying the rest of it.
func (s *store) owner(id int64) (tenant int64, externalID string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.lookup(id)
	if !ok {
		return 0, "", false
	}
	return d.TenantID, d.ExternalID, true
}

// update applies fn to the stored document under the store's lock and
// returns the result: a deep copy with the extracted fields when deep
// is set, else a shallow copy. fn must not call back into the store. A
// change to the workflow state or to updated_at is appended to the
// document's history, which is how fire and PatchDocument record their
// versions.
func (s *store) update(id int64, deep bool, fn func(*storedDocument)) (Document, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookup(id)
	if !ok {
		return Document{}, false
	}
	fn(d)
	if v := versionOf(d); len(d.history) == 0 || !v.equal(d.history[len(d.history)-1]) {
		d.history = append(d.history, v)
	}
	if !deep {
		return d.Document, true
	}
	return s.copyOf(d, true), true
}

// asOf returns a shallow copy of d with the workflow state of its
// latest version at or before t, or of its oldest version when it was
// created after t. A zero t returns d's current state. The view has
// the extracted fields when withFields is set and it shows a state
// after extraction. The caller holds s.mu and must clone the result
// before releasing it.
func (s *store) asOf(d *storedDocument, t time.Time, withFields bool) Document {
	view := d.Document
	extracted := d.extracted
	if !t.IsZero() && len(d.history) > 0 {
		v := d.history[0]
		for i := len(d.history) - 1; i > 0; i-- {
			if !d.history[i].at.After(t) {
				v = d.history[i]
				break
			}
		}
		view.Status = statusOrder[v.status]
		view.WorkflowStep = Stages[v.workflowStep]
		if !v.typed {
			view.DocumentType = ""
		}
		view.Topics = d.Topics[:v.topics:v.topics]
		view.UpdatedAt = v.at
		extracted = v.extracted
	}
	if withFields && extracted {
		view.Fields = s.fields(&view)
	}
	return view
}

// query returns copies of the documents for which keep returns true,
// ordered by id (descending when desc is set), skipping offset of them
// and returning at most limit, with the number that matched in all. A
// nil keep keeps every document. Only the returned page is copied, and
// with the extracted fields only when withFields is set.
func (s *store) query(keep func(*Document) bool, desc bool, offset, limit int, withFields bool) ([]Document, int) {
	return s.queryAsOf(time.Time{}, keep, desc, offset, limit, withFields)
}

// queryAsOf is query over the documents as they were at t, as asOf
// describes, so keep filters on the older state too. A zero t means
// their current state.
func (s *store) queryAsOf(t time.Time, keep func(*Document) bool, desc bool, offset, limit int, withFields bool) ([]Document, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var page []Document
	total := 0
	for i := range s.docs {
		if desc {
			i = len(s.docs) - 1 - i
		}
		d := s.docs[i]
		view := s.asOf(d, t, false)
		if keep != nil && !keep(&view) {
			continue
		}
		if total >= offset && len(page) < limit {
			if withFields {
				view = s.asOf(d, t, true)
			}
			page = append(page, view.clone())
		}
		total++
	}
	return page, total
}

// len returns the number of stored documents.
func (s *store) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.docs)
}
