package mockplatform

import (
	"slices"
	"sync"
	"time"
)

// Document is a snapshot of one document as the platform stores it.
// Values returned by the platform are copies: changing them changes
// nothing on the platform.
type Document struct {
	ID       int64
	TenantID int64
	Name     string

	// ExternalID is the caller's own reference; empty means null.
	ExternalID string

	Status       Status
	WorkflowStep Stage

	// DocumentType is the document_type_identifier set by
	// classification; empty means null.
	DocumentType string

	CustomFields        map[string]any
	ClassificationScope []string
	ValidationRequired  bool
	NotForTraining      bool

	// SLADeadline is nil when the document has no deadline.
	SLADeadline *time.Time

	CreatedAt time.Time
	UpdatedAt time.Time

	// Files describes the uploaded files; their content is not kept.
	Files []File

	// Fields are the extracted document fields, filled by extraction.
	Fields []Field

	// Profile names the workflow profile the document follows.
	Profile string

	// Topics lists the topics fired so far, in order.
	Topics []Topic
}

// File describes one uploaded file.
type File struct {
	Name        string
	Size        int
	ContentType string
}

// Field is one extracted document field.
type Field struct {
	ID         string
	Identifier string
	Value      string
	Candidates []Candidate
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

// store keeps every document, indexed by id, in upload order.
type store struct {
	mu     sync.RWMutex
	docs   map[int64]*Document
	ids    []int64 // ascending, because ids are assigned in order
	nextID int64
}

func newStore(firstID int64) *store {
	return &store{docs: make(map[int64]*Document), nextID: firstID}
}

// add assigns d the next id, stores it and returns the stored copy.
func (s *store) add(d Document) Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = s.nextID
	s.nextID++
	s.docs[d.ID] = &d
	s.ids = append(s.ids, d.ID)
	return d.clone()
}

// get returns a copy of the document with the given id.
func (s *store) get(id int64) (Document, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.docs[id]
	if !ok {
		return Document{}, false
	}
	return d.clone(), true
}

// update applies fn to the stored document under the store's lock and
// returns a copy of the result. fn must not call back into the store.
func (s *store) update(id int64, fn func(*Document)) (Document, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[id]
	if !ok {
		return Document{}, false
	}
	fn(d)
	return d.clone(), true
}

// query returns copies of the documents for which keep returns true,
// ordered by id (descending when desc is set), skipping offset of them
// and returning at most limit, with the number that matched in all. A
// nil keep keeps every document. Only the returned page is copied.
func (s *store) query(keep func(*Document) bool, desc bool, offset, limit int) ([]Document, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var page []Document
	total := 0
	for i := range s.ids {
		if desc {
			i = len(s.ids) - 1 - i
		}
		d := s.docs[s.ids[i]]
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
