package scenarios

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// defaultExternalID is the external_id pattern of a set without one:
// nine random digits after "EX", like EX123456789 in the platform's
// example webhook payload.
const defaultExternalID = "EX#########"

// maxWeight bounds a profile's weight in a mix, so that the count
// times the weight cannot overflow.
const maxWeight = 1_000_000

// tagPattern finds the {function} and {function:params} tags of a
// pattern.
var tagPattern = regexp.MustCompile(`\{([^{}]*)\}`)

func (sc Scenario) validateDocuments() *FieldError {
	if len(sc.Documents) == 0 {
		return fieldErrorf([]any{"documents"}, "no documents: add at least one set, such as {count: 5, profile: straight-through}")
	}
	profiles := sc.profileNames()
	total := 0
	for i, set := range sc.Documents {
		if fe := set.validate([]any{"documents", i}, profiles); fe != nil {
			return fe
		}
		total += set.Count
		if total > MaxDocuments {
			return fieldErrorf([]any{"documents", i, "count"}, "the sets up to this one have %d documents, more than the limit of %d: use fewer documents", total, MaxDocuments)
		}
	}
	return nil
}

func (set DocumentSet) validate(path []any, profiles []string) *FieldError {
	at := func(elem ...any) []any { return append(slices.Clip(path), elem...) }
	if set.Count < 1 {
		return fieldErrorf(at("count"), "count %d is invalid: use 1 or more documents", set.Count)
	}
	if set.Profile != "" && len(set.Profiles) > 0 {
		return fieldErrorf(at("profiles"), "profile and profiles are both set: use profile for one profile or profiles for a weighted mix")
	}
	if set.Profile != "" && !slices.Contains(profiles, set.Profile) {
		return fieldErrorf(at("profile"), "profile %q is not defined: use one of %s, or define it under profiles", set.Profile, strings.Join(profiles, ", "))
	}
	for _, name := range slices.Sorted(maps.Keys(set.Profiles)) {
		if !slices.Contains(profiles, name) {
			return fieldErrorf(at("profiles", name), "profile %q is not defined: use one of %s, or define it under profiles", name, strings.Join(profiles, ", "))
		}
		if w := set.Profiles[name]; w < 1 || w > maxWeight {
			return fieldErrorf(at("profiles", name), "weight %d is out of range: use a whole number from 1 to %d", w, maxWeight)
		}
	}
	if err := validatePattern(set.ExternalID); err != nil {
		return &FieldError{Path: at("external_id"), Err: err}
	}
	if _, err := json.Marshal(set.CustomFields); err != nil {
		return fieldErrorf(at("custom_fields"), "custom_fields cannot be sent as JSON: use string keys at every level (%v)", err)
	}
	return validateFieldPatterns(at("custom_fields"), set.CustomFields)
}

// validateFieldPatterns checks the patterns of every string in a
// custom_fields value.
func validateFieldPatterns(path []any, v any) *FieldError {
	switch v := v.(type) {
	case string:
		if err := validatePattern(v); err != nil {
			return &FieldError{Path: path, Err: err}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if fe := validateFieldPatterns(append(slices.Clip(path), k), v[k]); fe != nil {
				return fe
			}
		}
	case []any:
		for i, e := range v {
			if fe := validateFieldPatterns(append(slices.Clip(path), i), e); fe != nil {
				return fe
			}
		}
	}
	return nil
}

// validatePattern checks that every tag of a pattern is {n} or names a
// gofakeit function.
func validatePattern(pattern string) error {
	for _, m := range tagPattern.FindAllStringSubmatch(pattern, -1) {
		name, _, _ := strings.Cut(m[1], ":")
		if name == "n" || gofakeit.GetFuncLookup(name) != nil {
			continue
		}
		return fmt.Errorf("pattern %q: tag {%s} is unknown: use {n} for the document's number in its set or a gofakeit function such as {firstname}, {company} or {number:1,100}", pattern, m[1])
	}
	return nil
}

// Uploads returns the documents that Run uploads for sc, in upload
// order, for the default tenant. The same scenario, seed included,
// always gives the same documents, except for gofakeit functions that
// depend on the current date.
func (sc Scenario) Uploads() []mockplatform.Upload {
	var out []mockplatform.Upload
	for i, set := range sc.Documents {
		faker := gofakeit.NewUnlocked(fakerSeed(sc.Seed, i))
		profiles := set.profileOrder(faker)
		pattern := cmp.Or(set.ExternalID, defaultExternalID)
		for n := 1; n <= set.Count; n++ {
			u := mockplatform.Upload{
				TenantID:   mockplatform.DefaultTenant,
				ExternalID: expand(faker, pattern, n),
				Profile:    set.Profile,
			}
			if profiles != nil {
				u.Profile = profiles[n-1]
			}
			if set.CustomFields != nil {
				u.CustomFields = expandValue(faker, set.CustomFields, n).(map[string]any)
			}
			out = append(out, u)
		}
	}
	return out
}

// fakerSeed derives the seed of one set's faker from the scenario's
// seed. gofakeit treats seed 0 as "random", so 0 never comes out.
func fakerSeed(seed uint64, set int) int64 {
	x := seed ^ (uint64(set+1) * 0x9e3779b97f4a7c15)
	// splitmix64 finalizer: spreads nearby seeds over the whole range.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	s := int64(x >> 1)
	if s == 0 {
		s = 1
	}
	return s
}

// profileOrder returns the profile of each document of a weighted mix,
// shuffled with the faker, or nil when the set has no mix.
func (set DocumentSet) profileOrder(faker *gofakeit.Faker) []string {
	if len(set.Profiles) == 0 {
		return nil
	}
	counts := apportion(set.Count, set.Profiles)
	order := make([]string, 0, set.Count)
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		for range counts[name] {
			order = append(order, name)
		}
	}
	faker.Rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}

// apportion splits count over the weights with the largest remainder
// method, so the counts add up to count exactly. Ties go to the name
// that sorts first.
func apportion(count int, weights map[string]int) map[string]int {
	total := 0
	for _, w := range weights {
		total += w
	}
	names := slices.Sorted(maps.Keys(weights))
	counts := make(map[string]int, len(weights))
	left := count
	for _, name := range names {
		counts[name] = count * weights[name] / total
		left -= counts[name]
	}
	byRemainder := slices.Clone(names)
	slices.SortStableFunc(byRemainder, func(a, b string) int {
		return cmp.Compare(count*weights[b]%total, count*weights[a]%total)
	})
	for _, name := range byRemainder[:left] {
		counts[name]++
	}
	return counts
}

// expand fills in a pattern for document n of a set.
func expand(faker *gofakeit.Faker, pattern string, n int) string {
	pattern = strings.ReplaceAll(pattern, "{n}", strconv.Itoa(n))
	return faker.Generate(pattern)
}

// expandValue returns a copy of a custom_fields value with every string
// expanded as a pattern.
func expandValue(faker *gofakeit.Faker, v any, n int) any {
	switch v := v.(type) {
	case string:
		return expand(faker, v, n)
	case map[string]any:
		out := make(map[string]any, len(v))
		// Sorted keys make the faker's draws follow the same order on
		// every run.
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out[k] = expandValue(faker, v[k], n)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = expandValue(faker, e, n)
		}
		return out
	}
	return v
}
