package auction

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestNoJSONTags keeps the domain free of wire and storage names (issue
// 17): no struct field of a production file has a json tag. Clients' shapes
// live in events and signaling, stored shapes in storage.
func TestNoJSONTags(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			field, ok := n.(*ast.Field)
			if !ok || field.Tag == nil {
				return true
			}
			tag, err := strconv.Unquote(field.Tag.Value)
			if err != nil {
				t.Fatalf("%s: tag %s: %v", fset.Position(field.Pos()), field.Tag.Value, err)
			}
			if _, ok := reflect.StructTag(tag).Lookup("json"); ok {
				t.Errorf("%s: a json tag in package auction; the shape belongs to storage or events", fset.Position(field.Pos()))
			}
			return true
		})
	}
}
