package mockplatform

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/brianvoe/gofakeit/v6"
)

// Upload is a document to create, as POST /v2/documents takes it.
type Upload struct {
	// TenantID owns the document; it must be positive.
	TenantID            int64
	Name                string
	ExternalID          string
	CustomFields        map[string]any
	ClassificationScope []string
	ValidationRequired  bool
	Files               []UploadFile

	// Profile names the workflow profile. Empty means the string in
	// CustomFields[ProfileField], or else the platform's default
	// profile.
	Profile string
}

// UploadFile is one uploaded file with its decoded content.
type UploadFile struct {
	Name    string
	Content []byte
}

// Patch changes the writable attributes of a document. A nil field is
// left unchanged.
type Patch struct {
	ExternalID *string
	// CustomFields replaces the custom fields; an empty non-nil map
	// clears them.
	CustomFields       map[string]any
	ValidationRequired *bool
	NotForTraining     *bool
}

// documentTypes are the document_type_identifier values picked from the
// seed when a profile does not set one.
var documentTypes = []string{"invoice", "receipt", "credit_note", "delivery_note", "purchase_order", "contract"}

// Upload creates a document, fires document-received and starts its
// workflow. The error names an invalid field.
func (p *Platform) Upload(in Upload) (Document, error) {
	if in.TenantID <= 0 {
		return Document{}, fmt.Errorf("mockplatform: upload: tenant id %d is invalid: tenant ids are positive integers", in.TenantID)
	}
	name := in.Profile
	if name == "" {
		switch v := in.CustomFields[ProfileField].(type) {
		case nil:
			name = p.opts.DefaultProfile
		case string:
			name = v
		default:
			return Document{}, fmt.Errorf("mockplatform: upload: custom_fields.%s must be a profile name, got %v: use one of %s", ProfileField, v, p.profileNames())
		}
	}
	prof, plan, ok := p.profilePlan(name)
	if !ok {
		return Document{}, fmt.Errorf("mockplatform: upload: profile %q is not defined: use one of %s", name, p.profileNames())
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return Document{}, ErrClosed
	}

	now := p.clock.Now()
	doc := Document{
		TenantID:            in.TenantID,
		Name:                in.Name,
		ExternalID:          in.ExternalID,
		Status:              StatusPending,
		WorkflowStep:        StageInbound,
		CustomFields:        cloneJSONMap(in.CustomFields),
		ClassificationScope: slices.Clone(in.ClassificationScope),
		ValidationRequired:  in.ValidationRequired,
		CreatedAt:           now,
		UpdatedAt:           now,
		Profile:             prof.Name,
		Topics:              append(make([]Topic, 0, len(plan)), TopicDocumentReceived),
	}
	for _, f := range in.Files {
		doc.Files = append(doc.Files, File{
			Name:        f.Name,
			Size:        len(f.Content),
			ContentType: http.DetectContentType(f.Content),
		})
	}
	if doc.Name == "" && len(doc.Files) > 0 {
		doc.Name = doc.Files[0].Name
	}
	stored := p.store.add(doc, len(plan))

	p.emit(stored, TopicDocumentReceived)
	// The steps share one copy of the profile instead of each holding
	// its own.
	p.scheduleSteps(stored.ID, &prof, plan, 1)
	return stored.clone(), nil
}

// scheduleSteps schedules step i of the plan and, when it has fired,
// the steps after it.
func (p *Platform) scheduleSteps(id int64, prof *Profile, plan []step, i int) {
	if i >= len(plan) {
		return
	}
	p.after(plan[i].after, stepKey(id, i), func() {
		p.fire(id, prof, plan[i].topic)
		p.scheduleSteps(id, prof, plan, i+1)
	}, nil)
}

// fire moves the document to the state the topic marks and emits the
// topic's events, which only read the shallow copy of the document.
// The store is updated first, so a consumer that reads the document
// after any webhook of the topic gets this step or later.
func (p *Platform) fire(id int64, prof *Profile, topic Topic) {
	now := p.clock.Now()
	doc, ok := p.store.update(id, false, func(d *storedDocument) {
		d.Status = topic.Status()
		d.WorkflowStep = topic.Stage()
		if topic == TopicProcessingFailed {
			d.WorkflowStep = prof.FailAt
		}
		d.UpdatedAt = now
		d.Topics = append(d.Topics, topic)
		switch topic {
		case TopicAutoClassification:
			d.DocumentType = p.documentType(&d.Document, prof)
		case TopicAutoExtractionDone:
			d.extracted = true
		}
	})
	if !ok {
		return
	}
	p.emit(doc, topic)
}

// documentType returns the type classification assigns to d.
func (p *Platform) documentType(d *Document, prof *Profile) string {
	if prof.DocumentType != "" {
		return prof.DocumentType
	}
	if len(d.ClassificationScope) > 0 {
		return d.ClassificationScope[p.rng(fmt.Sprintf("type/%d", d.ID)).IntN(len(d.ClassificationScope))]
	}
	return documentTypes[p.rng(fmt.Sprintf("type/%d", d.ID)).IntN(len(documentTypes))]
}

// extractFields returns plausible fake extracted fields for d's type,
// drawn from the seed and the document id.
func (p *Platform) extractFields(d *Document) []Field {
	r := p.rng(fmt.Sprintf("fields/%d", d.ID))
	fake := gofakeit.New(r.Int64())
	amount := fake.Price(10, 5000)
	date := fake.DateRange(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	values := []struct{ identifier, value string }{
		{"document_number", fmt.Sprintf("%s-%06d", d.DocumentType, fake.Number(1, 999999))},
		{"document_date", date.Format("2006-01-02")},
		{"sender_name", fake.Company()},
		{"sender_street", fake.Street()},
		{"sender_city", fake.City()},
		{"recipient_name", fake.Name()},
		{"iban", "CH" + fake.DigitN(19)},
		{"currency", fake.RandomString([]string{"CHF", "EUR", "USD"})},
		{"total_amount", strconv.FormatFloat(amount, 'f', 2, 64)},
	}
	fields := make([]Field, len(values))
	for i, v := range values {
		fields[i] = Field{
			ID:         fmt.Sprintf("%d-%d", d.ID, i+1),
			Identifier: v.identifier,
			Value:      v.value,
			Candidates: []Candidate{{Value: v.value, Confidence: float64(50+r.IntN(50)) / 100}},
		}
	}
	return fields
}

// PatchDocument applies patch to the tenant's document with the given
// id and returns the result; ok is false when the tenant has no such
// document.
func (p *Platform) PatchDocument(tenant, id int64, patch Patch) (doc Document, ok bool) {
	now := p.clock.Now()
	owned := false
	doc, ok = p.store.update(id, true, func(d *storedDocument) {
		if d.TenantID != tenant {
			return
		}
		owned = true
		if patch.ExternalID != nil {
			d.ExternalID = *patch.ExternalID
		}
		if patch.CustomFields != nil {
			d.CustomFields = cloneJSONMap(patch.CustomFields)
		}
		if patch.ValidationRequired != nil {
			d.ValidationRequired = *patch.ValidationRequired
		}
		if patch.NotForTraining != nil {
			d.NotForTraining = *patch.NotForTraining
		}
		d.UpdatedAt = now
	})
	if !ok || !owned {
		return Document{}, false
	}
	return doc, true
}
