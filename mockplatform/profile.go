package mockplatform

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Default durations of a profile's steps, in platform time.
const (
	DefaultStepDuration   = 2 * time.Second
	DefaultManualDuration = 30 * time.Second
)

// DefaultProfileName names the profile a document follows when nothing
// selects another one.
const DefaultProfileName = "straight-through"

// ProfileField is the custom_fields key that selects a document's
// workflow profile by name at upload. The key stays in custom_fields like
// any other, so consumers see it in payloads.
const ProfileField = "mock_profile"

// Profile describes how a document moves through the workflow: which
// manual validation levels it passes, how long each step takes in
// platform time, and whether and where it fails.
type Profile struct {
	// Name identifies the profile in configuration, custom_fields and
	// the control API: letters, digits, '-', '_' and '.'.
	Name string `yaml:"name"`

	// Separation, Classification and Extraction list the manual levels
	// a document passes in that stage. Nil or empty means none: the
	// stage goes straight from automatic-…-done to …-done. Levels are
	// passed in the order first, second, third, qc whatever the order
	// given here.
	Separation     []Level `yaml:"separation"`
	Classification []Level `yaml:"classification"`
	Extraction     []Level `yaml:"extraction"`

	// StepDuration is the platform time between two automatic topics.
	// Zero means DefaultStepDuration.
	StepDuration time.Duration `yaml:"step_duration"`

	// ManualDuration is the platform time a document waits in each
	// manual queue before the next topic. Zero means
	// DefaultManualDuration.
	ManualDuration time.Duration `yaml:"manual_duration"`

	// FailAt is the stage in which the document fails. The document
	// passes every topic of the earlier stages, then gets
	// processing-failed (status failed) instead of the topics of FailAt
	// and later. Failing at inbound still fires document-received.
	// Empty means the document does not fail.
	FailAt Stage `yaml:"fail_at"`

	// DocumentType is the document_type_identifier that classification
	// sets. Empty means one is picked from the seed.
	DocumentType string `yaml:"document_type"`
}

var profileNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate reports the first invalid field of p, naming it and the
// accepted values.
func (p Profile) Validate() error {
	if !profileNamePattern.MatchString(p.Name) {
		return fmt.Errorf("profile name %q is invalid: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", p.Name)
	}
	for _, f := range []struct {
		field  string
		levels []Level
	}{{"separation", p.Separation}, {"classification", p.Classification}, {"extraction", p.Extraction}} {
		seen := map[Level]bool{}
		for _, l := range f.levels {
			if _, err := ParseLevel(string(l)); err != nil {
				return fmt.Errorf("profile %q: %s: %w", p.Name, f.field, err)
			}
			if seen[l] {
				return fmt.Errorf("profile %q: %s: level %q is listed twice", p.Name, f.field, l)
			}
			seen[l] = true
		}
	}
	if p.StepDuration < 0 {
		return fmt.Errorf("profile %q: step_duration %s is negative: use 0 for the default or a positive duration", p.Name, p.StepDuration)
	}
	if p.ManualDuration < 0 {
		return fmt.Errorf("profile %q: manual_duration %s is negative: use 0 for the default or a positive duration", p.Name, p.ManualDuration)
	}
	if p.FailAt != "" {
		if _, err := ParseStage(string(p.FailAt)); err != nil {
			return fmt.Errorf("profile %q: fail_at: %w", p.Name, err)
		}
	}
	return nil
}

// clone returns p with its own level slices.
func (p Profile) clone() Profile {
	p.Separation = slices.Clone(p.Separation)
	p.Classification = slices.Clone(p.Classification)
	p.Extraction = slices.Clone(p.Extraction)
	return p
}

// profileJSON is the control API's form of a Profile, with durations as
// strings such as "1.5s".
type profileJSON struct {
	Name           string  `json:"name"`
	Separation     []Level `json:"separation,omitempty"`
	Classification []Level `json:"classification,omitempty"`
	Extraction     []Level `json:"extraction,omitempty"`
	StepDuration   string  `json:"step_duration,omitempty"`
	ManualDuration string  `json:"manual_duration,omitempty"`
	FailAt         Stage   `json:"fail_at,omitempty"`
	DocumentType   string  `json:"document_type,omitempty"`
}

// MarshalJSON encodes p with durations as Go duration strings.
func (p Profile) MarshalJSON() ([]byte, error) {
	j := profileJSON{
		Name: p.Name, Separation: p.Separation, Classification: p.Classification,
		Extraction: p.Extraction, FailAt: p.FailAt, DocumentType: p.DocumentType,
	}
	if p.StepDuration != 0 {
		j.StepDuration = p.StepDuration.String()
	}
	if p.ManualDuration != 0 {
		j.ManualDuration = p.ManualDuration.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes a profile whose durations are Go duration
// strings such as "500ms" or "2m".
func (p *Profile) UnmarshalJSON(b []byte) error {
	var j profileJSON
	if err := decodeStrict(b, &j); err != nil {
		return err
	}
	*p = Profile{
		Name: j.Name, Separation: j.Separation, Classification: j.Classification,
		Extraction: j.Extraction, FailAt: j.FailAt, DocumentType: j.DocumentType,
	}
	var err error
	if p.StepDuration, err = parseOptionalDuration("step_duration", j.StepDuration); err != nil {
		return err
	}
	p.ManualDuration, err = parseOptionalDuration("manual_duration", j.ManualDuration)
	return err
}

func parseOptionalDuration(field, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a duration: use a value such as \"500ms\", \"2s\" or \"1m30s\"", field, s)
	}
	return d, nil
}

// BuiltinProfiles returns the profiles every platform starts with:
//   - straight-through: no manual level, no failure (the default);
//   - manual-all: every manual level in every stage;
//   - fail-<stage>: fails in that stage, one profile per stage.
func BuiltinProfiles() []Profile {
	all := []Level{LevelFirst, LevelSecond, LevelThird, LevelQC}
	ps := []Profile{
		{Name: DefaultProfileName},
		{Name: "manual-all", Separation: all, Classification: all, Extraction: all},
	}
	for _, s := range Stages {
		ps = append(ps, Profile{Name: "fail-" + string(s), FailAt: s})
	}
	return ps
}

// step is one topic of a document's planned workflow and the platform
// time that passes before it fires, counted from the previous topic.
type step struct {
	topic Topic
	after time.Duration
}

// plan returns the topics a document following p fires, in order. The
// first is always document-received, fired at upload.
func (p Profile) plan() []step {
	auto := p.StepDuration
	if auto == 0 {
		auto = DefaultStepDuration
	}
	manual := p.ManualDuration
	if manual == 0 {
		manual = DefaultManualDuration
	}

	steps := []step{{TopicDocumentReceived, 0}}
	if p.FailAt == StageInbound {
		return append(steps, step{TopicProcessingFailed, auto})
	}
	steps = append(steps, step{TopicPreprocessingDone, auto})

	for _, st := range []struct {
		stage  Stage
		levels []Level
	}{{StageSeparation, p.Separation}, {StageClassification, p.Classification}, {StageExtraction, p.Extraction}} {
		if p.FailAt == st.stage {
			return append(steps, step{TopicProcessingFailed, auto})
		}
		steps = append(steps, step{autoTopic(st.stage), auto})
		wait := auto
		for _, l := range Levels {
			if slices.Contains(st.levels, l) {
				steps = append(steps, step{readyTopic(st.stage, l), wait})
				wait = manual
			}
		}
		steps = append(steps, step{doneTopic(st.stage), wait})
	}

	if p.FailAt == StageOutbound {
		return append(steps, step{TopicProcessingFailed, auto})
	}
	return append(steps, step{TopicProcessingFinished, auto})
}
