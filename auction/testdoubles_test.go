package auction

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestNoTestDoublesInProductionFiles keeps test doubles (in-memory stores,
// fake clocks) in _test.go files, so the production API shows only what
// callers are meant to use. FakeClock is the one exception, on purpose: it
// is the test half of the Clock contract that other packages' tests use.
func TestNoTestDoublesInProductionFiles(t *testing.T) {
	allowed := map[string]bool{"FakeClock": true, "NewFakeClock": true}
	for name, f := range productionFiles(t, token.NewFileSet()) {
		for _, id := range topLevelNames(f) {
			for _, p := range []string{"Mem", "NewMem", "Fake", "NewFake", "Stub", "Mock"} {
				if strings.HasPrefix(id, p) && !allowed[id] {
					t.Errorf("%s: %s looks like a test double; move it to a _test.go file", name, id)
				}
			}
		}
	}
}

// productionFiles parses the package's non-test files into fset, by name.
func productionFiles(t *testing.T, fset *token.FileSet) map[string]*ast.File {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = f
	}
	return files
}

// topLevelNames lists the names a file declares at package level.
func topLevelNames(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				names = append(names, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	return names
}
