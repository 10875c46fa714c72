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
	"strconv"
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
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
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

var yamlLinePattern = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError converts a yaml.v3 parse error into an Error. yaml.v3
// reports the line where the enclosing block starts for some errors,
// so the message points at the lines from there on.
func syntaxError(file string, err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLinePattern.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &Error{File: file, Line: line,
		Err: fmt.Errorf("invalid YAML at or after this line: %s: check the indentation, quotes and brackets", msg)}
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

var (
	unknownFieldPattern = regexp.MustCompile(`^line (\d+): field (.+) not found in type (\S+)$`)
	wrongTypePattern    = regexp.MustCompile("^line (\\d+): cannot unmarshal (\\S+)(?: `(.*)`)? into (\\S+)$")
	repeatedKeyPattern  = regexp.MustCompile(`^line (\d+): mapping key "(.*)" already defined at line (\d+)$`)
	errorLinePattern    = regexp.MustCompile(`^line (\d+): (.*)$`)
)

// decodeError converts the errors of decoding the file into a Scenario
// into Errors, one per problem, in the order yaml.v3 found them.
func decodeError(file string, root *yaml.Node, err error) error {
	te, ok := errors.AsType[*yaml.TypeError](err)
	if !ok {
		return aliasError(file, root, err)
	}
	entries := yamlnode.Walk(root)
	errs := make([]error, 0, len(te.Errors))
	for _, msg := range te.Errors {
		errs = append(errs, decodeProblem(file, entries, msg))
	}
	return errors.Join(errs...)
}

// decodeProblem converts one yaml.v3 decoding message into an Error.
func decodeProblem(file string, entries []yamlnode.Entry, msg string) *Error {
	if m := unknownFieldPattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		field := m[2]
		for _, e := range entries {
			if e.Key != nil && e.Key.Line == line && e.Key.Value == m[2] {
				field = yamlnode.FormatPath(e.Path)
				break
			}
		}
		return &Error{File: file, Line: line, Field: field,
			Err: fmt.Errorf("unknown key %q: valid keys %s are %s", m[2], sectionName(m[3]), strings.Join(yamlKeys(m[3]), ", "))}
	}
	if m := wrongTypePattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		field, value := "", m[3]
		if e, ok := yamlnode.Find(entries, line, m[2], m[3]); ok {
			field, value = yamlnode.FormatPath(e.Path), e.Value.Value
		}
		return &Error{File: file, Line: line, Field: field, Err: wrongTypeError(value, m[2], m[4])}
	}
	if m := repeatedKeyPattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line,
			Err: fmt.Errorf("key %q is repeated (first at line %s): keep one of them", m[2], m[3])}
	}
	if m := errorLinePattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Err: errors.New(m[2])}
	}
	return &Error{File: file, Err: errors.New(msg)}
}

// wrongTypeError returns the error for a value of the wrong type,
// naming the kind of value the key takes.
func wrongTypeError(value, tag, goType string) error {
	subject := "this value"
	if tag != "!!map" && tag != "!!seq" {
		subject = strconv.Quote(value)
	}
	var want string
	switch {
	case goType == "time.Duration":
		want = `a duration with a unit, such as "500ms", "10s" or "1m30s"`
	case goType == "float64":
		want = "a number, such as 10 or 0.5"
	case strings.HasPrefix(goType, "uint"):
		want = "a whole number of 0 or more"
	case strings.HasPrefix(goType, "int"):
		want = "a whole number"
	case goType == "bool":
		want = "true or false"
	case strings.HasPrefix(goType, "[]"):
		want = "a list"
	case strings.HasPrefix(goType, "map["), yamlKeys(goType) != nil:
		want = "a mapping of keys to values"
	default:
		want = "a string"
	}
	return fmt.Errorf("%s is not valid here: use %s", subject, want)
}

// fileTypes are the types of a scenario file's mappings, by the names
// yaml.v3 gives them in its errors, with the part of the file each
// describes.
var fileTypes = map[string]struct {
	typ     reflect.Type
	section string
}{
	"scenarios.Scenario":     {reflect.TypeFor[Scenario](), "at the top level"},
	"scenarios.DocumentSet":  {reflect.TypeFor[DocumentSet](), "of a documents entry"},
	"scenarios.Subscription": {reflect.TypeFor[Subscription](), "of subscription"},
	"scenarios.CheckSpec":    {reflect.TypeFor[CheckSpec](), "of a checks entry"},
	"scenarios.Limits":       {reflect.TypeFor[Limits](), "of limits"},
	"mockplatform.Profile":   {reflect.TypeFor[mockplatform.Profile](), "of a profiles entry"},
	"mockplatform.Rule":      {reflect.TypeFor[mockplatform.Rule](), "of a rules entry"},
	"mockplatform.Match":     {reflect.TypeFor[mockplatform.Match](), "of a rule's match"},
	"mockplatform.When":      {reflect.TypeFor[mockplatform.When](), "of a rule's when"},
}

func sectionName(typeName string) string {
	if t, ok := fileTypes[typeName]; ok {
		return t.section
	}
	return "here"
}

// yamlKeys returns the YAML keys of a scenario file type, in field
// order, or nil for another type.
func yamlKeys(typeName string) []string {
	t, ok := fileTypes[typeName]
	if !ok {
		return nil
	}
	var keys []string
	for f := range t.typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}
