package media

import (
	"slices"
	"testing"
)

// TestEnvDocumentsWhatIsRead checks that Env lists exactly the names
// LoadConfig reads.
func TestEnvDocumentsWhatIsRead(t *testing.T) {
	var asked []string
	if _, err := LoadConfig(func(name string) string { asked = append(asked, name); return "" }); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, v := range Env {
		listed = append(listed, v.Name)
	}
	slices.Sort(asked)
	slices.Sort(listed)
	if !slices.Equal(slices.Compact(asked), listed) {
		t.Errorf("LoadConfig reads %v\nmedia.Env lists %v", asked, listed)
	}
}
