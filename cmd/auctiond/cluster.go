package main

import (
	"fmt"

	"github.com/bidcast/bidcast/cluster"
	"github.com/bidcast/bidcast/sfu"
)

var (
	_ sfu.Cluster = cluster.SFULink{}
	_ sfu.Placer  = cluster.SFULink{}
)

// newClusterRegistry announces this node (and its SFU's load and media) in
// Redis, and plugs the registry into the SFU so rooms published on other
// nodes are relayed here. On a lone node it only heartbeats.
func newClusterRegistry(a *App) (*cluster.Registry, error) {
	load := func() cluster.Load {
		m := a.sfu.MediaLoad()
		return cluster.Load{Viewers: m.Viewers, Publishers: m.Publishers, Relays: m.Relays,
			Origins: m.Origins, Relayed: m.Relayed}
	}
	cfg := a.cfg.Cluster
	cfg.Namespace = a.ns
	reg, err := cluster.New(cfg, a.redis, load, a.log)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	a.sfu.SetCluster(reg.SFU(), 0)
	return reg, nil
}
