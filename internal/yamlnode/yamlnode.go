// Package yamlnode walks a decoded YAML document, so that errors about
// a configuration or scenario file can name the line and the path of
// the offending key.
package yamlnode

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Find returns the entry whose value node yaml.v3 reported at line
// with the given tag and value. yaml.v3 shortens values of more than 10
// bytes to their first 7 and "...".
func Find(entries []Entry, line int, tag, reported string) (Entry, bool) {
	prefix := strings.TrimSuffix(reported, "...")
	for _, e := range entries {
		if e.Value.Line == line && e.Value.ShortTag() == tag && strings.HasPrefix(e.Value.Value, prefix) {
			return e, true
		}
	}
	return Entry{}, false
}

// Entry is one key or list item of a YAML file: its path from the
// top level, its key node (nil for a list item) and its value node.
type Entry struct {
	Path  []any
	Key   *yaml.Node
	Value *yaml.Node
}

// Walk lists every key and list item of the document in
// document order, starting with the top level itself.
func Walk(root *yaml.Node) []Entry {
	var out []Entry
	var walk func(path []any, key, n *yaml.Node)
	walk = func(path []any, key, n *yaml.Node) {
		out = append(out, Entry{Path: path, Key: key, Value: Resolve(n)})
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
	if top := Content(root); top != nil {
		walk(nil, nil, top)
	}
	return out
}

func appendPath(path []any, elem any) []any {
	return append(slices.Clip(path), elem)
}

func Content(root *yaml.Node) *yaml.Node {
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		return Resolve(root.Content[0])
	}
	return root
}

func Resolve(n *yaml.Node) *yaml.Node {
	for hops := 0; n.Kind == yaml.AliasNode && n.Alias != nil && hops < 8; hops++ {
		n = n.Alias
	}
	return n
}

// Value returns the value node at path, or nil when the file does
// not set it.
func Value(root *yaml.Node, path []any) *yaml.Node {
	for _, e := range Walk(root) {
		if slices.Equal(e.Path, path) {
			return e.Value
		}
	}
	return nil
}

// Line returns the line of the key or list item at path, or of its
// deepest ancestor that the file sets, such as the subscription of a
// missing url.
func Line(root *yaml.Node, path []any) int {
	line, depth := 0, -1
	for _, e := range Walk(root) {
		if len(e.Path) <= depth || len(e.Path) > len(path) || !slices.Equal(e.Path, path[:len(e.Path)]) {
			continue
		}
		line, depth = e.Value.Line, len(e.Path)
		if e.Key != nil {
			line = e.Key.Line
		}
	}
	return line
}

// FormatPath formats a path of keys and list indexes as
// "subscriptions[0].headers.Authorization".
func FormatPath(path []any) string {
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
