package api

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks that every registered route is described
// in openapi.json and every described operation is registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options":
				described[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	registered := map[string]bool{}
	for _, rt := range routes() {
		key := rt.Method + " " + rt.Path
		if registered[key] {
			t.Errorf("route %s registered twice", key)
		}
		registered[key] = true
		if !described[key] {
			t.Errorf("route %s is not described in openapi.json", key)
		}
	}
	var extra []string
	for key := range described {
		if !registered[key] {
			extra = append(extra, key)
		}
	}
	sort.Strings(extra)
	for _, key := range extra {
		t.Errorf("openapi.json describes %s, which is not registered", key)
	}
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.must(e.do("GET", "/openapi.json", "", nil), 200)
	if r.str("openapi") == "" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("served document: %.200s", r.Raw)
	}
}
