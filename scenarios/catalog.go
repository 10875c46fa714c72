package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// catalogFiles are the built-in scenarios, one YAML file each.
//
//go:embed catalog/*.yaml
var catalogFiles embed.FS

// catalogEntry is one built-in scenario with its file's text.
type catalogEntry struct {
	scenario Scenario
	source   []byte
}

// loadCatalog parses the embedded files once. A file that does not
// parse is a bug of this package, which the tests catch, so it panics.
var loadCatalog = sync.OnceValue(func() []catalogEntry {
	names, err := fs.Glob(catalogFiles, "catalog/*.yaml")
	if err != nil {
		panic(fmt.Sprintf("scenarios: list the catalog: %v", err))
	}
	entries := make([]catalogEntry, 0, len(names))
	for _, name := range names {
		data, err := catalogFiles.ReadFile(name)
		if err != nil {
			panic(fmt.Sprintf("scenarios: read %s: %v", name, err))
		}
		sc, err := Parse(name, data)
		if err != nil {
			panic(fmt.Sprintf("scenarios: built-in scenario: %v", err))
		}
		if want := strings.TrimSuffix(path.Base(name), ".yaml"); sc.Name != want {
			panic(fmt.Sprintf("scenarios: %s names the scenario %q: use its file name %q", name, sc.Name, want))
		}
		entries = append(entries, catalogEntry{sc, data})
	}
	slices.SortFunc(entries, func(a, b catalogEntry) int { return catalogOrder(a.scenario.Name) - catalogOrder(b.scenario.Name) })
	return entries
})

// catalogNames fixes the order of the catalog: the platform's normal
// behaviour first, then webhook faults, then REST API faults, then
// load. A file missing here sorts last.
var catalogNames = []string{
	"happy-path", "manual-levels", "stage-failures",
	"consumer-outage", "lost-terminal", "duplicates", "reordering",
	"slow-ack", "missing-auth", "forward-compatible",
	"api-throttling", "api-errors", "burst",
}

func catalogOrder(name string) int {
	if i := slices.Index(catalogNames, name); i >= 0 {
		return i
	}
	return len(catalogNames)
}

// Catalog returns the built-in scenarios in a fixed order: normal
// workflows first, then webhook faults, REST API faults and load. Each
// call returns new copies, which the caller may change.
func Catalog() []Scenario {
	entries := loadCatalog()
	out := make([]Scenario, len(entries))
	for i, e := range entries {
		// Parsing again gives the caller values that share nothing
		// with the cache.
		sc, _ := Parse(e.scenario.Name+".yaml", e.source)
		out[i] = sc
	}
	return out
}

// IsFile reports whether a scenario argument, as "parashift-mock run
// --scenario" takes it, names a file rather than a built-in scenario:
// it ends in .yaml or .yml, contains a path separator or names an
// existing file.
func IsFile(arg string) bool {
	ext := filepath.Ext(arg)
	if ext == ".yaml" || ext == ".yml" || strings.ContainsRune(arg, '/') || strings.ContainsRune(arg, filepath.Separator) {
		return true
	}
	info, err := os.Stat(arg)
	return err == nil && !info.IsDir()
}

// Lookup returns the built-in scenario with the given name.
func Lookup(name string) (Scenario, bool) {
	for _, e := range loadCatalog() {
		if e.scenario.Name == name {
			sc, _ := Parse(name+".yaml", e.source)
			return sc, true
		}
	}
	return Scenario{}, false
}

// Source returns the YAML text of the built-in scenario with the given
// name, to print or to copy as the start of a new scenario.
func Source(name string) ([]byte, bool) {
	for _, e := range loadCatalog() {
		if e.scenario.Name == name {
			return slices.Clone(e.source), true
		}
	}
	return nil, false
}

// CatalogNames returns the names of the built-in scenarios in catalog
// order.
func CatalogNames() []string {
	entries := loadCatalog()
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.scenario.Name
	}
	return names
}
