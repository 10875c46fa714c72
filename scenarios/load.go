package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/parashift-mock/parashift-mock/internal/yamlnode"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// Error is a problem in a scenario file. Load and Parse return one, or
// several joined with errors.Join, for every problem they find.
type Error struct {
	// File is the scenario file's path or name.
	File string
	// Line is the 1-based line of the offending key or value; zero
	// when unknown.
	Line int
	// Field is the offending key as a path such as
	// "documents[0].profile"; empty when the problem is about the file
	// as a whole.
	Field string
	// Err describes the problem and how to fix it.
	Err error
}

func (e *Error) Error() string {
	return yamlnode.FormatProblem(e.File, e.Line, e.Field, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads and validates the scenario file at path. See Parse.
func Load(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// The PathError's own text repeats the path that Error shows.
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return Scenario{}, &Error{File: path, Err: fmt.Errorf("read scenario file: %w: pass the path of an existing YAML file", err)}
	}
	return Parse(path, data)
}

// Parse decodes and validates one scenario from YAML. file names the
// source in errors, and its base name without the extension is the
// scenario's name when the YAML sets none. Unknown keys, values of the
// wrong type, repeated keys and invalid values are errors; each is an
// *Error naming the file, the line and the field.
func Parse(file string, data []byte) (Scenario, error) {
	root, err := parseNode(file, data)
	if err != nil {
		return Scenario{}, err
	}
	if root == nil {
		return Scenario{}, &Error{File: file, Err: errors.New("the file is empty: a scenario needs at least documents and checks")}
	}
	if top := yamlnode.Content(root); top == nil || top.Kind != yaml.MappingNode {
		line := 0
		if top != nil {
			line = top.Line
		}
		return Scenario{}, &Error{File: file, Line: line, Err: errors.New("a scenario is a mapping of keys such as name, documents and checks")}
	}

	var sc Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil {
		return Scenario{}, decodeError(file, root, err)
	}
	// In a Scenario, time_scale 0 means the default; in a file it is a
	// mistake.
	if n := yamlnode.Value(root, []any{"time_scale"}); n != nil && sc.TimeScale == 0 {
		return Scenario{}, &Error{File: file, Line: n.Line, Field: "time_scale",
			Err: errors.New("time_scale 0 is invalid: use a number greater than 0, such as 100, or remove the key")}
	}
	nameFromFile := sc.Name == ""
	if nameFromFile {
		sc.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	if fe := sc.validate(); fe != nil {
		err := fe.Err
		if nameFromFile && yamlnode.FormatPath(fe.Path) == "name" {
			err = fmt.Errorf("%w; the name comes from the file name: rename the file or set name in it", err)
		}
		return Scenario{}, &Error{File: file, Line: yamlnode.Line(root, fe.Path), Field: yamlnode.FormatPath(fe.Path), Err: err}
	}
	return sc, nil
}

// parseNode parses data into a node tree used to find the lines of
// keys. It returns nil for a file without a YAML document.
func parseNode(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(file, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return &root, nil
	case err != nil:
		return nil, syntaxError(file, err)
	}
	return nil, &Error{File: file, Line: extra.Line,
		Err: errors.New("a second YAML document starts here: keep one scenario per file")}
}

// syntaxError converts a yaml.v3 parse error into an Error.
func syntaxError(file string, err error) error {
	pr := yamlnode.SyntaxProblem(err)
	return &Error{File: file, Line: pr.Line, Err: pr.Err}
}

var (
	anchorLoopPattern = regexp.MustCompile(`anchor '(.*)' value contains itself`)
	aliasBombPattern  = regexp.MustCompile(`excessive aliasing`)
)

// aliasError explains the errors yaml.v3 reports, without a line, for
// aliases it refuses to expand. Other errors are syntax errors.
func aliasError(file string, root *yaml.Node, err error) error {
	msg := err.Error()
	if m := anchorLoopPattern.FindStringSubmatch(msg); m != nil {
		line := 0
		for _, e := range yamlnode.Walk(root) {
			if e.Value.Anchor == m[1] {
				line = e.Value.Line
				break
			}
		}
		return &Error{File: file, Line: line,
			Err: fmt.Errorf("anchor &%s contains an alias to itself, *%s, which never ends: write the value out instead", m[1], m[1])}
	}
	if aliasBombPattern.MatchString(msg) {
		return &Error{File: file,
			Err: errors.New("the aliases expand to a value far larger than the file: write the values out instead of nesting aliases")}
	}
	return syntaxError(file, err)
}

// decodeError converts the errors of decoding the file into a Scenario
// into Errors, one per problem, in the order yaml.v3 found them.
func decodeError(file string, root *yaml.Node, err error) error {
	te, ok := errors.AsType[*yaml.TypeError](err)
	if !ok {
		return aliasError(file, root, err)
	}
	var errs []error
	for _, pr := range fileSchema.DecodeProblems(root, te) {
		errs = append(errs, &Error{File: file, Line: pr.Line, Field: pr.Field, Err: pr.Err})
	}
	return errors.Join(errs...)
}

// fileSchema describes a scenario file's mappings, by the names yaml.v3
// gives their types in its errors.
var fileSchema = yamlnode.Schema{
	Sections: map[string]yamlnode.Section{
		"scenarios.Scenario":     {Type: reflect.TypeFor[Scenario](), Name: "at the top level"},
		"scenarios.DocumentSet":  {Type: reflect.TypeFor[DocumentSet](), Name: "of a documents entry"},
		"scenarios.Subscription": {Type: reflect.TypeFor[Subscription](), Name: "of subscription"},
		"scenarios.CheckSpec":    {Type: reflect.TypeFor[CheckSpec](), Name: "of a checks entry"},
		"scenarios.Limits":       {Type: reflect.TypeFor[Limits](), Name: "of limits"},
		"mockplatform.Profile":   {Type: reflect.TypeFor[mockplatform.Profile](), Name: "of a profiles entry"},
		"mockplatform.Rule":      {Type: reflect.TypeFor[mockplatform.Rule](), Name: "of a rules entry"},
		"mockplatform.Match":     {Type: reflect.TypeFor[mockplatform.Match](), Name: "of a rule's match"},
		"mockplatform.When":      {Type: reflect.TypeFor[mockplatform.When](), Name: "of a rule's when"},
	},
	Elsewhere: "here",
}
