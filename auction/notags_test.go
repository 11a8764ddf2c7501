package auction

import (
	"go/ast"
	"go/token"
	"reflect"
	"strconv"
	"testing"
)

// TestNoJSONTags keeps the domain free of wire and storage names (issue
// 17): no struct field of a production file has a json tag. Clients' shapes
// live in events and signaling, stored shapes in storage.
func TestNoJSONTags(t *testing.T) {
	fset := token.NewFileSet()
	for _, f := range productionFiles(t, fset) {
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
