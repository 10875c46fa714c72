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
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

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
	if top := documentContent(root); top == nil || top.Kind != yaml.MappingNode {
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
	if n := valueNode(root, []any{"time_scale"}); n != nil && sc.TimeScale == 0 {
		return Scenario{}, &Error{File: file, Line: n.Line, Field: "time_scale",
			Err: errors.New("time_scale 0 is invalid: use a number greater than 0, such as 100, or remove the key")}
	}
	nameFromFile := sc.Name == ""
	if nameFromFile {
		sc.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	if fe := sc.validate(); fe != nil {
		err := fe.Err
		if nameFromFile && formatPath(fe.Path) == "name" {
			err = fmt.Errorf("%w; the name comes from the file name: rename the file or set name in it", err)
		}
		return Scenario{}, &Error{File: file, Line: lineOf(root, fe.Path), Field: formatPath(fe.Path), Err: err}
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
		for _, e := range walkNode(root) {
			if e.value.Anchor == m[1] {
				line = e.value.Line
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
	entries := walkNode(root)
	errs := make([]error, 0, len(te.Errors))
	for _, msg := range te.Errors {
		errs = append(errs, decodeProblem(file, entries, msg))
	}
	return errors.Join(errs...)
}

// decodeProblem converts one yaml.v3 decoding message into an Error.
func decodeProblem(file string, entries []nodeEntry, msg string) *Error {
	if m := unknownFieldPattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		field := m[2]
		for _, e := range entries {
			if e.key != nil && e.key.Line == line && e.key.Value == m[2] {
				field = formatPath(e.path)
				break
			}
		}
		return &Error{File: file, Line: line, Field: field,
			Err: fmt.Errorf("unknown key %q: valid keys %s are %s", m[2], sectionName(m[3]), strings.Join(yamlKeys(m[3]), ", "))}
	}
	if m := wrongTypePattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		field, value := "", m[3]
		if e, ok := findValue(entries, line, m[2], m[3]); ok {
			field, value = formatPath(e.path), e.value.Value
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

// findValue returns the entry whose value node yaml.v3 reported at line
// with the given tag and value. yaml.v3 shortens values of more than 10
// bytes to their first 7 and "...".
func findValue(entries []nodeEntry, line int, tag, reported string) (nodeEntry, bool) {
	prefix := strings.TrimSuffix(reported, "...")
	for _, e := range entries {
		if e.value.Line == line && e.value.ShortTag() == tag && strings.HasPrefix(e.value.Value, prefix) {
			return e, true
		}
	}
	return nodeEntry{}, false
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

// nodeEntry is one key or list item of the file: its path from the top
// level, its key node (nil for a list item) and its value node.
type nodeEntry struct {
	path  []any
	key   *yaml.Node
	value *yaml.Node
}

// walkNode lists every key and list item of the document in document
// order, starting with the top level itself.
func walkNode(root *yaml.Node) []nodeEntry {
	var out []nodeEntry
	var walk func(path []any, key, n *yaml.Node)
	walk = func(path []any, key, n *yaml.Node) {
		out = append(out, nodeEntry{path: path, key: key, value: resolveAlias(n)})
		// An alias is listed but not entered: following aliases can
		// loop (&x [*x]) or grow exponentially with nested anchors, and
		// the anchor's own entries are listed where it is defined.
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(appendPath(path, n.Content[i].Value), n.Content[i], n.Content[i+1])
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				walk(appendPath(path, i), nil, item)
			}
		}
	}
	if top := documentContent(root); top != nil {
		walk(nil, nil, top)
	}
	return out
}

func appendPath(path []any, elem any) []any {
	return append(slices.Clip(path), elem)
}

func documentContent(root *yaml.Node) *yaml.Node {
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		return resolveAlias(root.Content[0])
	}
	return root
}

// resolveAlias returns the node an alias points to, following at most
// a few hops so that a chain of aliases cannot loop.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for hops := 0; n.Kind == yaml.AliasNode && n.Alias != nil && hops < 8; hops++ {
		n = n.Alias
	}
	return n
}

// valueNode returns the value node at path, or nil when the file does
// not set it.
func valueNode(root *yaml.Node, path []any) *yaml.Node {
	for _, e := range walkNode(root) {
		if slices.Equal(e.path, path) {
			return e.value
		}
	}
	return nil
}

// lineOf returns the line of the key or list item at path, or of its
// deepest ancestor that the file sets, such as the document set of a
// missing count.
func lineOf(root *yaml.Node, path []any) int {
	line, depth := 0, -1
	for _, e := range walkNode(root) {
		if len(e.path) <= depth || len(e.path) > len(path) || !slices.Equal(e.path, path[:len(e.path)]) {
			continue
		}
		line, depth = e.value.Line, len(e.path)
		if e.key != nil {
			line = e.key.Line
		}
	}
	return line
}

// formatPath formats a path of keys and list indexes as
// "documents[0].custom_fields.customer".
func formatPath(path []any) string {
	var b strings.Builder
	for _, elem := range path {
		switch v := elem.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}
