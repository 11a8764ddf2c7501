package cluster

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/bidcast/bidcast/internal/namespace"
)

// Config is one node's part in the cluster.
type Config struct {
	// NodeID names this node; the same ID as its room leases.
	NodeID string
	// PublicURL is where clients and other nodes reach this node's HTTP
	// server (WHEP redirects and relays point there).
	PublicURL string
	// Secret authenticates one node to another when an edge subscribes to
	// a room's origin (CLUSTER_SECRET). Empty turns the relay off: every
	// viewer must then reach the room's origin node, as on a single node.
	Secret string
	// Heartbeat is how often the node announces itself and refreshes the
	// media origins and relays it holds. Zero means 1 s.
	Heartbeat time.Duration
	// DropAfter is how long a node that stopped heartbeating stays listed
	// (and its origins and relays trusted). Zero means 3 × Heartbeat.
	DropAfter time.Duration
	// NodeViewers is the number of viewers a node takes before new viewers
	// of a room it serves are placed on another node. Zero means 500.
	NodeViewers int
	// Namespace names the node registry for this deployment
	// (internal/namespace), so two deployments on one Redis database do
	// not place media on each other's nodes. None keeps the name of earlier
	// releases.
	Namespace namespace.Namespace
}

func (c Config) withDefaults() Config {
	if c.Heartbeat == 0 {
		c.Heartbeat = time.Second
	}
	if c.DropAfter == 0 {
		c.DropAfter = 3 * c.Heartbeat
	}
	if c.NodeViewers == 0 {
		c.NodeViewers = 500
	}
	return c
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.NodeID == "" {
		errs = append(errs, errors.New("cluster: NodeID is empty"))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("cluster: PublicURL %q: want an absolute http(s) URL", c.PublicURL))
	}
	if c.Secret != "" && len(c.Secret) < 16 {
		errs = append(errs, errors.New("CLUSTER_SECRET: want at least 16 characters"))
	}
	if c.Heartbeat < 0 || c.DropAfter < 0 || c.NodeViewers < 0 {
		errs = append(errs, errors.New("cluster: negative heartbeat, drop-out or viewer cap"))
	}
	d := c.withDefaults()
	if d.DropAfter < 2*d.Heartbeat {
		errs = append(errs, fmt.Errorf("cluster: DropAfter %s is under two heartbeats (%s)", d.DropAfter, d.Heartbeat))
	}
	return errors.Join(errs...)
}
