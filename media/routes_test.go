package media

import (
	"net/http"
	"reflect"
	"testing"
)

// TestServiceServesOnlyFiles holds the upload and delete routes in one
// place, the JSON API: the media service checks and stores, and its only
// HTTP handler is the file server for processed outputs. A second upload
// handler here would answer with its own error shape and drift from the
// API's.
func TestServiceServesOnlyFiles(t *testing.T) {
	handler := reflect.TypeFor[http.Handler]()
	st := reflect.TypeFor[*Service]()
	for i := range st.NumMethod() {
		m := st.Method(i)
		for j := range m.Type.NumOut() {
			if m.Type.Out(j) == handler && m.Name != "FileServer" {
				t.Errorf("Service.%s returns an http.Handler; the API serves media routes", m.Name)
			}
		}
	}
}
