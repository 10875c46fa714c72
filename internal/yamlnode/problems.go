package yamlnode

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one problem that yaml.v3 found in a file: its line, zero
// when unknown, the path of the offending key, empty when unknown, and
// the error with the fix.
type Problem struct {
	Line  int
	Field string
	Err   error
}

// FormatProblem formats a problem of a file as
// "file:line: field: error", leaving out the parts that are unknown.
func FormatProblem(file string, line int, field string, err error) string {
	var b strings.Builder
	if file != "" {
		b.WriteString(file)
		if line > 0 {
			fmt.Fprintf(&b, ":%d", line)
		}
		b.WriteString(": ")
	}
	if field != "" {
		b.WriteString(field)
		b.WriteString(": ")
	}
	b.WriteString(err.Error())
	return b.String()
}

// Schema describes the mappings of a file, so that an error about an
// unknown key can list the valid ones.
type Schema struct {
	// Sections holds, by the names yaml.v3 gives the types in its
	// errors, each mapping's type and the part of the file it
	// describes, such as "of a rules entry".
	Sections map[string]Section
	// Elsewhere names the part of the file of a type not in Sections.
	Elsewhere string
}

// Section is one kind of mapping of a file.
type Section struct {
	Type reflect.Type
	Name string
}

var yamlLinePattern = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// SyntaxProblem converts a yaml.v3 parse error, such as
// "yaml: line 3: did not find expected key". yaml.v3 reports the line
// where the enclosing block or flow starts for some errors, so the
// message points at the lines from there on.
func SyntaxProblem(err error) Problem {
	msg := err.Error()
	line := 0
	if m := yamlLinePattern.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return Problem{Line: line,
		Err: fmt.Errorf("invalid YAML at or after this line: %s: check the indentation, quotes and brackets", msg)}
}

var (
	unknownFieldPattern = regexp.MustCompile(`^line (\d+): field (.+) not found in type (\S+)$`)
	wrongTypePattern    = regexp.MustCompile("^line (\\d+): cannot unmarshal (\\S+)(?: `(.*)`)? into (\\S+)$")
	repeatedKeyPattern  = regexp.MustCompile(`^line (\d+): mapping key "(.*)" already defined at line (\d+)$`)
	errorLinePattern    = regexp.MustCompile(`^line (\d+): (.*)$`)
)

// DecodeProblems converts the messages of a yaml.v3 TypeError from
// decoding root into Problems, one per message, in the order yaml.v3
// found them.
func (s Schema) DecodeProblems(root *yaml.Node, te *yaml.TypeError) []Problem {
	entries := Walk(root)
	problems := make([]Problem, 0, len(te.Errors))
	for _, msg := range te.Errors {
		problems = append(problems, s.decodeProblem(entries, msg))
	}
	return problems
}

// decodeProblem converts one yaml.v3 decoding message.
func (s Schema) decodeProblem(entries []Entry, msg string) Problem {
	if m := unknownFieldPattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		field := m[2]
		for _, e := range entries {
			if e.Key != nil && e.Key.Line == line && e.Key.Value == m[2] {
				field = FormatPath(e.Path)
				break
			}
		}
		return Problem{Line: line, Field: field,
			Err: fmt.Errorf("unknown key %q: valid keys %s are %s", m[2], s.sectionName(m[3]), strings.Join(s.keys(m[3]), ", "))}
	}
	if m := wrongTypePattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		field, value := "", m[3]
		if e, ok := Find(entries, line, m[2], m[3]); ok {
			field, value = FormatPath(e.Path), e.Value.Value
		}
		return Problem{Line: line, Field: field, Err: s.wrongTypeError(value, m[2], m[4])}
	}
	if m := repeatedKeyPattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line,
			Err: fmt.Errorf("key %q is repeated (first at line %s): keep one of them", m[2], m[3])}
	}
	if m := errorLinePattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Err: errors.New(m[2])}
	}
	return Problem{Err: errors.New(msg)}
}

// wrongTypeError returns the error for a value of the wrong type,
// naming the kind of value the key takes.
func (s Schema) wrongTypeError(value, tag, goType string) error {
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
	case strings.HasPrefix(goType, "map["), s.keys(goType) != nil:
		want = "a mapping of keys to values"
	default:
		want = "a string"
	}
	return fmt.Errorf("%s is not valid here: use %s", subject, want)
}

// sectionName names the part of the file that the type describes.
func (s Schema) sectionName(typeName string) string {
	if sec, ok := s.Sections[typeName]; ok {
		return sec.Name
	}
	return s.Elsewhere
}

// keys returns the YAML keys of a type of the schema, in field order,
// or nil for another type.
func (s Schema) keys(typeName string) []string {
	sec, ok := s.Sections[typeName]
	if !ok {
		return nil
	}
	var keys []string
	for f := range sec.Type.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}
