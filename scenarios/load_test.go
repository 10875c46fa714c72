package scenarios_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/scenarios"
)

// minimal is the smallest valid scenario body; tests append keys to it.
const minimal = "documents: [{count: 1}]\nchecks: [{name: acks-fast}]\n"

func TestLoadFullFile(t *testing.T) {
	sc, err := scenarios.Load("testdata/full.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := scenarios.Scenario{
		Name:           "invoices-end-to-end",
		Seed:           42,
		TimeScale:      100,
		RequestID:      mockplatform.RequestIDModePerEvent,
		AttemptTimeout: 5 * time.Second,
		Profiles: []mockplatform.Profile{{
			Name: "quick-review", Extraction: []mockplatform.Level{"first", "qc"},
			StepDuration: time.Second, ManualDuration: 10 * time.Second, DocumentType: "invoice",
		}},
		Documents: []scenarios.DocumentSet{
			{Count: 10, Profile: "quick-review", ExternalID: "INV-{n}", CustomFields: map[string]any{
				"customer": "{company}", "contact": "{firstname} {lastname}", "reference": "REF-#####", "priority": 2,
			}},
			{Count: 20, Profiles: map[string]int{"straight-through": 3, "fail-extraction": 1}, ExternalID: "drop-{n}"},
		},
		Subscription: scenarios.Subscription{
			Topics:  []mockplatform.Topic{"document-received", "extraction-done", "processing-finished", "processing-failed"},
			Headers: map[string]string{"X-Scenario": "invoices-end-to-end"},
		},
		Rules: []mockplatform.Rule{
			{ID: "lose-final", Fault: mockplatform.FaultDrop, Match: mockplatform.Match{
				Topics: []mockplatform.Topic{"processing-finished", "processing-failed"}, ExternalID: "drop-*"},
				When: mockplatform.When{Probability: 0.5}},
			{ID: "copies", Fault: mockplatform.FaultDuplicate, Copies: 1, NewRequestID: true, When: mockplatform.When{Probability: 0.2}},
		},
		Checks: []scenarios.CheckSpec{
			{Name: "acks-fast", Deadline: time.Second},
			{Name: "idempotent"},
			{Name: "polls-for-lost", Overdue: 2 * time.Second, Deadline: 5 * time.Second},
			{Name: "polls-politely", MaxRate: 10, Grace: time.Second},
		},
		Limits: scenarios.Limits{Timeout: time.Minute, Settle: 5 * time.Second},
	}
	// The description is long; its first line is enough here.
	if got := sc.Summary(); got != "Invoices from two customers pass or fail; some final webhooks are lost." {
		t.Errorf("Summary() = %q", got)
	}
	sc.Description = ""
	if diff := cmp.Diff(want, sc); diff != "" {
		t.Errorf("Load(testdata/full.yaml) mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadNameFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my-scenario.yml")
	if err := os.WriteFile(path, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if sc.Name != "my-scenario" {
		t.Errorf("Name = %q, want the file name without extension, %q", sc.Name, "my-scenario")
	}
}

func TestLoadInvalidFileName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my scenario.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := scenarios.Load(path)
	if err == nil || !strings.Contains(err.Error(), "the name comes from the file name: rename the file or set name in it") {
		t.Errorf("Load of a file whose name is no scenario name: error %v, want a hint to rename the file or set name", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := scenarios.Load("testdata/no-such-file.yaml")
	var se *scenarios.Error
	if !errors.As(err, &se) || se.File != "testdata/no-such-file.yaml" {
		t.Fatalf("Load of a missing file: error %v, want a *scenarios.Error naming the file", err)
	}
	if !strings.Contains(err.Error(), "no such file") {
		t.Errorf("error %q does not say the file is missing", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		wantLine  int
		wantField string
		wantMsg   string
	}{
		{"empty file", "", 0, "", "the file is empty"},
		{"not a mapping", "- a\n", 1, "", "a scenario is a mapping"},
		{"unknown key", minimal + "docs: 1\n", 3, "docs", `unknown key "docs": valid keys at the top level are name, description`},
		{"unknown key of a set", "documents:\n  - count: 1\n    cout: 2\nchecks: [{name: acks-fast}]\n", 3, "documents[0].cout", `unknown key "cout": valid keys of a documents entry are count, profile`},
		{"unknown key of a rule", minimal + "rules:\n  - fault: drop\n    matches: {}\n", 5, "rules[0].matches", `valid keys of a rules entry are id, fault`},
		{"repeated key", minimal + "seed: 1\nseed: 2\n", 4, "", `key "seed" is repeated (first at line 3)`},
		{"duration without unit", "documents: [{count: 1}]\nchecks:\n  - name: acks-fast\n    deadline: 10\n", 4, "checks[0].deadline", `"10" is not valid here: use a duration with a unit`},
		{"negative seed", minimal + "seed: -1\n", 3, "seed", "use a whole number of 0 or more"},
		{"wrong type of list", "documents: 3\nchecks: [{name: acks-fast}]\n", 1, "documents", "use a list"},
		{"invalid yaml", "documents: [{count: 1\n", 1, "", "invalid YAML at or after this line"},
		{"second document", minimal + "---\nseed: 1\n", 3, "", "a second YAML document starts here"},
		{"time scale zero", minimal + "time_scale: 0\n", 3, "time_scale", "time_scale 0 is invalid"},
		{"time scale too large", minimal + "time_scale: 1e9\n", 3, "time_scale", "out of range"},
		{"invalid name", minimal + "name: 'bad name'\n", 3, "name", `name "bad name" is invalid`},
		{"request id mode", minimal + "request_id: sometimes\n", 3, "request_id", `request_id "sometimes" is invalid`},
		{"no documents", "checks: [{name: acks-fast}]\n", 1, "documents", "no documents"},
		{"zero count", "documents:\n  - profile: manual-all\nchecks: [{name: acks-fast}]\n", 2, "documents[0].count", "count 0 is invalid"},
		{"unknown profile", "documents:\n  - count: 1\n    profile: manual-some\nchecks: [{name: acks-fast}]\n", 3, "documents[0].profile", `profile "manual-some" is not defined: use one of fail-classification`},
		{"profile and mix", "documents:\n  - count: 1\n    profile: manual-all\n    profiles: {manual-all: 1}\nchecks: [{name: acks-fast}]\n", 4, "documents[0].profiles", "profile and profiles are both set"},
		{"unknown profile in mix", "documents:\n  - count: 2\n    profiles:\n      straight-through: 1\n      fail-later: 1\nchecks: [{name: acks-fast}]\n", 5, "documents[0].profiles.fail-later", `profile "fail-later" is not defined`},
		{"zero weight", "documents:\n  - count: 2\n    profiles:\n      straight-through: 0\nchecks: [{name: acks-fast}]\n", 4, "documents[0].profiles.straight-through", "weight 0 is out of range"},
		{"unknown pattern tag", "documents:\n  - count: 1\n    external_id: 'INV-{id}'\nchecks: [{name: acks-fast}]\n", 3, "documents[0].external_id", "tag {id} is unknown"},
		{"unknown custom field tag", "documents:\n  - count: 1\n    custom_fields:\n      who:\n        name: '{nobody}'\nchecks: [{name: acks-fast}]\n", 5, "documents[0].custom_fields.who.name", "tag {nobody} is unknown"},
		{"too many documents", "documents:\n  - count: 60000\n  - count: 60000\nchecks: [{name: acks-fast}]\n", 3, "documents[1].count", "more than the limit of 100000"},
		{"invalid custom profile", minimal + "profiles:\n  - name: slow\n    extraction: [fourth]\n", 4, "profiles[0]", `unknown manual level "fourth"`},
		{"repeated custom profile", minimal + "profiles:\n  - name: slow\n  - name: slow\n", 5, "profiles[1].name", `profile name "slow" is already used by profiles[0]`},
		{"unknown topic", minimal + "subscription:\n  topics: [document-recieved]\n", 4, "subscription.topics[0]", `unknown topic "document-recieved"`},
		{"invalid header", minimal + "subscription:\n  headers:\n    'Bad Header': x\n", 4, "subscription.headers", `header name "Bad Header" is invalid`},
		{"invalid rule", minimal + "rules:\n  - id: oops\n    fault: drop\n    match: {methods: [GET]}\n", 4, "rules[0]", "rule oops: match.methods and match.path select REST API requests"},
		{"rule of another subscription", minimal + "rules:\n  - fault: drop\n    match:\n      subscriptions: [billing]\n", 6, "rules[0].match.subscriptions[0]", `subscription "billing" does not exist`},
		{"repeated rule id", minimal + "rules:\n  - {id: a, fault: drop}\n  - {id: a, fault: drop}\n", 5, "rules[1].id", `rule id "a" is already used by rules[0]`},
		{"no checks", "documents: [{count: 1}]\n", 1, "checks", "no checks: list at least one of acks-fast"},
		{"unknown check", "documents: [{count: 1}]\nchecks:\n  - name: acks-slow\n", 3, "checks[0].name", `check "acks-slow" is unknown: use one of acks-fast, rejects-unauthenticated`},
		{"parameter of another check", "documents: [{count: 1}]\nchecks:\n  - name: idempotent\n    max_rate: 5\n", 4, "checks[0].max_rate", "max_rate is not a parameter of idempotent: it takes no parameters"},
		{"parameter of a check with others", "documents: [{count: 1}]\nchecks:\n  - name: acks-fast\n    grace: 1s\n", 4, "checks[0].grace", "grace is not a parameter of acks-fast: it takes deadline"},
		{"unknown check parameter", "documents: [{count: 1}]\nchecks:\n  - name: acks-fast\n    deadlien: 1s\n", 4, "checks[0].deadlien", `valid keys of a checks entry are name, deadline`},
		{"negative parameter", "documents: [{count: 1}]\nchecks:\n  - name: acks-fast\n    deadline: -1s\n", 4, "checks[0].deadline", "deadline -1s is negative"},
		{"repeated check", "documents: [{count: 1}]\nchecks:\n  - name: idempotent\n  - name: idempotent\n", 4, "checks[1].name", "check idempotent is already listed as checks[0]"},
		{"settle not below timeout", minimal + "limits:\n  timeout: 10s\n  settle: 10s\n", 5, "limits.settle", "settle 10s is not shorter than the timeout 10s"},
		{"negative timeout", minimal + "limits:\n  timeout: -1s\n", 4, "limits.timeout", "timeout -1s is negative"},
		{"anchor loop", "documents:\n  - count: 1\n    custom_fields: &loop {x: [*loop]}\nchecks: [{name: acks-fast}]\n", 3, "", "anchor &loop contains an alias to itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scenarios.Parse("case.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tt.wantMsg)
			}
			var se *scenarios.Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse error %v (%T), want a *scenarios.Error", err, err)
			}
			if se.File != "case.yaml" {
				t.Errorf("File = %q, want case.yaml", se.File)
			}
			if se.Line != tt.wantLine {
				t.Errorf("Line = %d, want %d (error %q)", se.Line, tt.wantLine, err)
			}
			if se.Field != tt.wantField {
				t.Errorf("Field = %q, want %q (error %q)", se.Field, tt.wantField, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestParseListsEveryDecodingError(t *testing.T) {
	_, err := scenarios.Parse("case.yaml", []byte(minimal+"seeed: 1\nlimits:\n  settle: 3\n"))
	if err == nil {
		t.Fatal("Parse succeeded, want two errors")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "case.yaml:3: seeed:") || !strings.HasPrefix(lines[1], "case.yaml:5: limits.settle:") {
		t.Errorf("error =\n%s\nwant one line for seeed at line 3 and one for limits.settle at line 5", err)
	}
}

// TestParseAliasBomb checks that nested aliases, which expand
// exponentially, are rejected without expanding them.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("documents:\n  - count: 1\n    custom_fields:\n      l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		prev := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "      l%d: &l%d [%s%s]\n", i, i, strings.Repeat(prev+", ", 9), prev)
	}
	b.WriteString("checks: [{name: acks-fast}]\n")

	start := time.Now()
	_, err := scenarios.Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "aliases expand") {
		t.Errorf("Parse of nested aliases: error %v, want one about aliases that expand", err)
	}
	if d := time.Since(start); d > 30*time.Second { // a loose bound: expanding or waiting would take far longer
		t.Errorf("Parse of nested aliases took %s, want it rejected at once", d)
	}
}

func TestValidateGoValue(t *testing.T) {
	sc := scenarios.Scenario{
		Name:      "go-value",
		Documents: []scenarios.DocumentSet{{Count: 2}},
		Checks:    []scenarios.CheckSpec{{Name: "polls-for-lost", MaxAttempts: 3}},
	}
	err := sc.Validate()
	var fe *scenarios.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Validate: %v, want a *scenarios.FieldError", err)
	}
	if got := err.Error(); got != "checks[0].max_attempts: max_attempts is not a parameter of polls-for-lost: it takes overdue, deadline" {
		t.Errorf("Validate error = %q", got)
	}
	sc.Checks[0].MaxAttempts = 0
	if err := sc.Validate(); err != nil {
		t.Errorf("Validate of a valid scenario: %v", err)
	}
}
