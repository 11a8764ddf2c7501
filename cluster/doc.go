// Package cluster lets several auctiond nodes share one Postgres and one
// Redis: a registry of nodes in Redis (each node's ID, public URL, load and
// heartbeat; nodes that stop heartbeating drop out after DropAfter), the
// media origin of each room (the node its publisher reached) and the nodes
// relaying it, and the placement of a new viewer (Place).
//
// Room ownership (which node runs a room's auction) is not here: it is the
// lease of package bidding, and a room's owner and its media origin may be
// different nodes. The relay itself (an edge's Pion peer subscribed to the
// origin over WHEP) is package sfu's; this package only tells the SFU where
// a room's origin is (Upstream) and records what each node holds.
//
// Keys: one hash bidcast:cluster:nodes (node ID → Node as JSON), and per
// room bidcast:{room}:origin (a string with an expiry, refreshed at each
// heartbeat of the origin) and bidcast:{room}:relays (node ID → last
// heartbeat). A heartbeat is one pipelined round trip however many rooms
// the node holds. Nothing here is authoritative for money: a stale entry
// only sends a viewer to a node that relays, or fails to, and the viewer
// retries.
//
// The package imports nothing of Bidcast's, so every floor may use it.
package cluster
