package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/bidcast/bidcast/internal/envconf"
)

// Env documents the cluster's variables (ConfigFromEnv reads them;
// `auctiond help` and the README list them). NODE_ID is the server's: the
// room leases use it too.
var Env = []envconf.Var{
	{Name: "NODE_URL", Default: "<PUBLIC_URL>", Help: "this node's own base URL, reachable by clients (WHEP redirects) and by the other nodes (relays); set it on each node of a cluster behind one PUBLIC_URL"},
	{Name: "CLUSTER_SECRET", Default: "", Help: "shared by every node of a cluster (at least 16 characters): a node with viewers of a room published on another node relays it from there; none: no relaying, WHEP viewers are redirected to the room's origin node (see docs/SCALING.md)"},
	{Name: "CLUSTER_NODE_VIEWERS", Default: "500", Help: "viewers a node takes before new WHEP viewers of a room it serves are redirected to a less loaded node"},
}

// ConfigFromEnv reads Env through getenv for the node named nodeID, whose
// URL defaults to publicURL; every malformed value is reported, each naming
// its variable. The secret is read from the environment only.
func ConfigFromEnv(getenv func(string) string, nodeID, publicURL string) (Config, error) {
	r := envconf.New(envconf.WithDefaults(getenv, Env))
	c := Config{NodeID: nodeID, Secret: getenv("CLUSTER_SECRET"),
		PublicURL:   strings.TrimRight(getenv("NODE_URL"), "/"),
		NodeViewers: r.Int("CLUSTER_NODE_VIEWERS", 500, 1, 1_000_000)}
	if c.PublicURL == "" {
		c.PublicURL = strings.TrimRight(publicURL, "/")
	} else if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.Fail(fmt.Errorf("NODE_URL %q: want an absolute http(s) URL", c.PublicURL))
	}
	if c.Secret != "" && len(c.Secret) < 16 {
		r.Fail(errors.New("CLUSTER_SECRET: want at least 16 characters"))
	}
	return c, r.Err()
}

// DefaultNodeID names a node after its host and, hashed, its checkout (the
// working directory) and HTTP address: the same server restarted in the same
// place gets the same ID and takes its rooms back at once, while two
// servers on one host (different addresses) never share one.
func DefaultNodeID(httpAddr string) string {
	host, _ := os.Hostname()
	if host == "" {
		host = "node"
	}
	dir, _ := os.Getwd()
	sum := sha256.Sum256([]byte(dir + "\x00" + httpAddr))
	return host + "-" + hex.EncodeToString(sum[:4])
}
