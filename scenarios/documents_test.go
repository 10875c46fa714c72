package scenarios_test

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/scenarios"
)

func TestUploadsPatterns(t *testing.T) {
	sc := scenarios.Scenario{Seed: 7, Documents: []scenarios.DocumentSet{
		{Count: 3, Profile: "manual-all", ExternalID: "drop-{n}", CustomFields: map[string]any{
			"customer": "{company}",
			"ref":      "R-{n}-###",
			"amount":   12.5,
			"tags":     []any{"fixed", "{n}"},
		}},
		{Count: 2},
	}}
	uploads := sc.Uploads()
	if len(uploads) != 5 {
		t.Fatalf("Uploads returned %d documents, want 5", len(uploads))
	}
	for i, u := range uploads[:3] {
		n := i + 1
		if want := fmt.Sprintf("drop-%d", n); u.ExternalID != want {
			t.Errorf("document %d: external_id %q, want %q", n, u.ExternalID, want)
		}
		if u.Profile != "manual-all" || u.TenantID != mockplatform.DefaultTenant {
			t.Errorf("document %d: profile %q, tenant %d, want manual-all for tenant %d", n, u.Profile, u.TenantID, mockplatform.DefaultTenant)
		}
		customer, _ := u.CustomFields["customer"].(string)
		if customer == "" || customer == "{company}" {
			t.Errorf("document %d: customer %q, want a company name from gofakeit", n, customer)
		}
		if ref, _ := u.CustomFields["ref"].(string); !regexp.MustCompile(fmt.Sprintf(`^R-%d-\d{3}$`, n)).MatchString(ref) {
			t.Errorf("document %d: ref %q, want R-%d- and three digits", n, ref, n)
		}
		if u.CustomFields["amount"] != 12.5 {
			t.Errorf("document %d: amount %v, want the number 12.5 copied", n, u.CustomFields["amount"])
		}
		if diff := cmp.Diff([]any{"fixed", strconv.Itoa(n)}, u.CustomFields["tags"]); diff != "" {
			t.Errorf("document %d: tags mismatch (-want +got):\n%s", n, diff)
		}
	}
	for _, u := range uploads[3:] {
		if !regexp.MustCompile(`^EX\d{9}$`).MatchString(u.ExternalID) {
			t.Errorf("external_id %q of a set without a pattern, want EX and nine digits", u.ExternalID)
		}
		if u.Profile != "" || u.CustomFields != nil {
			t.Errorf("upload %+v of a set without profile and custom fields, want neither", u)
		}
	}
}

func TestUploadsReproducible(t *testing.T) {
	sc := scenarios.Scenario{Seed: 3, Documents: []scenarios.DocumentSet{
		{Count: 20, Profiles: map[string]int{"straight-through": 3, "fail-extraction": 1},
			CustomFields: map[string]any{"name": "{firstname} {lastname}"}},
	}}
	first, second := sc.Uploads(), sc.Uploads()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two calls with one seed differ (-first +second):\n%s", diff)
	}
	sc.Seed = 4
	if cmp.Equal(first, sc.Uploads()) {
		t.Error("seeds 3 and 4 gave the same documents")
	}
}

func TestUploadsProfileMix(t *testing.T) {
	tests := []struct {
		count   int
		weights map[string]int
		want    map[string]int
	}{
		{1000, map[string]int{"straight-through": 9, "fail-extraction": 1}, map[string]int{"straight-through": 900, "fail-extraction": 100}},
		// 10 by 1:1:1 is 3.33 each; the remainder goes to the name
		// that sorts first.
		{10, map[string]int{"manual-all": 1, "straight-through": 1, "fail-inbound": 1}, map[string]int{"fail-inbound": 4, "manual-all": 3, "straight-through": 3}},
		{1, map[string]int{"manual-all": 1, "straight-through": 3}, map[string]int{"straight-through": 1}},
	}
	for _, tt := range tests {
		sc := scenarios.Scenario{Seed: 1, Documents: []scenarios.DocumentSet{{Count: tt.count, Profiles: tt.weights}}}
		got := map[string]int{}
		for _, u := range sc.Uploads() {
			got[u.Profile]++
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("profiles of %d documents by %v mismatch (-want +got):\n%s", tt.count, tt.weights, diff)
		}
	}
}

func TestUploadsMixIsShuffled(t *testing.T) {
	sc := scenarios.Scenario{Seed: 1, Documents: []scenarios.DocumentSet{
		{Count: 100, Profiles: map[string]int{"manual-all": 1, "straight-through": 1}},
	}}
	uploads := sc.Uploads()
	firstHalf := 0
	for _, u := range uploads[:50] {
		if u.Profile == "manual-all" {
			firstHalf++
		}
	}
	if firstHalf == 0 || firstHalf == 50 {
		t.Errorf("the first 50 documents have %d of the 50 manual-all documents, want them spread over the set", firstHalf)
	}
}
