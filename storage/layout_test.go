package storage_test

import (
	"os"
	"strings"
	"testing"
)

// TestFilesNamedForWhatTheyStore keeps the package's files named after what
// they store (rooms.go, lots.go, bids.go) rather than after the package that
// calls them: a type's methods split over api_rooms.go and rooms.go hide
// half of the repository from whoever opens the other file.
func TestFilesNamedForWhatTheyStore(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	callers := []string{"api_", "auth_", "bidding_", "sessions_", "signaling_", "demo_"}
	for _, e := range entries {
		for _, c := range callers {
			if strings.HasPrefix(e.Name(), c) {
				t.Errorf("%s is named after a caller (%s…); fold its methods into the file named for the type", e.Name(), c)
			}
		}
	}
}
