package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bidcast/bidcast/cluster"
)

// fakeCluster is a registry of fixed nodes, or one that fails.
type fakeCluster struct {
	nodes []cluster.Node
	err   error
}

func (f fakeCluster) Nodes(context.Context) ([]cluster.Node, error) { return f.nodes, f.err }
func (f fakeCluster) Self() string                                  { return "node-a" }

// newClusterEnv is newEnv with a cluster registry (nil: none).
func newClusterEnv(t *testing.T, c ClusterNodes) *env {
	t.Helper()
	e := &env{t: t, db: newDB(t), now: time.Now()}
	h, err := New(Config{RateLimit: RateLimitConfig{Disabled: true}}, Deps{DB: e.db, Auth: testAuth{}, Cluster: c})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix+"/", h)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func TestClusterIsForAdminsOnly(t *testing.T) {
	seen := time.Now().UTC().Truncate(time.Second)
	e := newClusterEnv(t, fakeCluster{nodes: []cluster.Node{
		{ID: "node-a", PublicURL: "http://a:8080", Viewers: 3, Publishers: 1, CPU: 0.25, Cores: 2, SeenAt: seen},
		{ID: "node-b", PublicURL: "http://b:8080", Relays: 1, Cores: 2, SeenAt: seen},
	}})
	for _, tc := range []struct {
		who    string
		status int
	}{
		{"", 401},
		{e.user("g", "guest"), 403},
		{e.user("b", RoleBidder), 403},
		{e.user("s", RoleSeller), 403},
		{e.user("adm", RoleAdmin), 200},
	} {
		r := e.do("GET", "/cluster", tc.who, nil)
		if r.Status != tc.status {
			t.Fatalf("GET /cluster as %q: %d, want %d", tc.who, r.Status, tc.status)
		}
		if tc.status != 200 {
			continue
		}
		nodes, _ := r.Body["nodes"].([]any)
		if r.str("self") != "node-a" || len(nodes) != 2 {
			t.Fatalf("body: %s", r.Raw)
		}
		a := nodes[0].(map[string]any)
		if a["public_url"] != "http://a:8080" || a["viewers"] != 3.0 || a["cpu"] != 0.25 || a["publishers"] != 1.0 {
			t.Fatalf("node a: %v", a)
		}
	}
}

func TestClusterUnavailable(t *testing.T) {
	e := newClusterEnv(t, nil)
	adm := e.user("adm", RoleAdmin)
	if r := e.do("GET", "/cluster", adm, nil); r.Status != 503 || r.errCode() != "cluster_disabled" {
		t.Fatalf("no registry: %d %s", r.Status, r.Raw)
	}
	e = newClusterEnv(t, fakeCluster{err: errors.New("redis down")})
	adm = e.user("adm", RoleAdmin)
	if r := e.do("GET", "/cluster", adm, nil); r.Status != 503 || r.errCode() != "cluster_unavailable" {
		t.Fatalf("registry failing: %d %s", r.Status, r.Raw)
	}
}
