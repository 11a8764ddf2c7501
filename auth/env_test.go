package auth

import (
	"strings"
	"testing"
)

// TestEnvDocumentsWhatIsRead reads the configuration with a getenv that
// records each name asked for, and checks every AUTH_* name is in Env or
// explained by an Env entry, and every Env entry is read.
func TestEnvDocumentsWhatIsRead(t *testing.T) {
	asked := map[string]bool{}
	if _, err := ConfigFromEnv(func(name string) string { asked[name] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, v := range Env {
		listed[v.Name] = true
	}
	retired := map[string]bool{"AUTH_CLIENT_IP_HEADER": true, "AUTH_GUESTS_MAY_BID": true} // refused or warned about
	for name := range asked {
		if !strings.HasPrefix(name, "AUTH_") || retired[name] || listed[name] {
			continue
		}
		if strings.HasSuffix(name, "_SCOPES") && listed["AUTH_{PROVIDER}_SCOPES"] {
			continue
		}
		if by, ok := envNamesRead[name]; !ok || !listed[by] {
			t.Errorf("%s is read but not in auth.Env", name)
		}
	}
	for name := range listed {
		if !asked[name] && name != "AUTH_{PROVIDER}_SCOPES" {
			t.Errorf("auth.Env lists %s, which nothing reads", name)
		}
	}
}
