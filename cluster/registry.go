package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// defaultNodesKey names (as Config.Namespace qualifies it) the registry: a
// hash of node ID → the node's last heartbeat (Node as JSON). One key, so
// listing the cluster is one command.
const defaultNodesKey = "bidcast:cluster:nodes"

// forgetAfter is when a silent node's entry is deleted outright; before
// that it is kept but not listed, so an operator's GET shows nothing stale.
const forgetAfter = time.Minute

// Node is one node's last heartbeat.
type Node struct {
	ID string `json:"id"`
	// Instance is random per process: a restarted node keeps its ID.
	Instance  string `json:"instance"`
	PublicURL string `json:"public_url"`
	// Viewers, Publishers and Relays count this node's media sessions:
	// viewers served here, publishers whose origin this is, and rooms it
	// relays from another node's origin.
	Viewers    int `json:"viewers"`
	Publishers int `json:"publishers"`
	Relays     int `json:"relays"`
	// CPU is the share of the node's machine this process used over the
	// last heartbeat (0 idle, 1 every core busy); Cores is how many it has.
	CPU       float64   `json:"cpu"`
	Cores     int       `json:"cores"`
	StartedAt time.Time `json:"started_at"`
	SeenAt    time.Time `json:"seen_at"`
}

// Load is what a node's media server reports at each heartbeat.
type Load struct {
	Viewers, Publishers, Relays int
	// Origins are the rooms whose publisher is on this node; Relayed the
	// rooms this node relays from another node.
	Origins, Relayed []string
}

// LoadFunc reads the node's current load; it must be cheap (no lock on the
// media path) since it runs at every heartbeat.
type LoadFunc func() Load

// Registry announces this node in Redis, with its load and the media it
// originates and relays, and reads the other nodes' announcements. Its
// methods are safe for concurrent use.
type Registry struct {
	cfg      Config
	rdb      redis.UniversalClient
	load     LoadFunc
	log      *slog.Logger
	instance string
	nodesKey string
	started  time.Time
	now      func() time.Time

	// events queues this node's media changes for applyEvents.
	events chan mediaEvent

	mu  sync.Mutex
	cpu cpuMeter // guarded by mu
	// twin counts consecutive heartbeats that found the entry written by
	// another live instance with this node's ID; guarded by mu.
	twin int
}

// New returns the registry of one node; Run starts its heartbeat.
func New(cfg Config, rdb redis.UniversalClient, load LoadFunc, log *slog.Logger) (*Registry, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rdb == nil || load == nil {
		return nil, errors.New("cluster: Redis and LoadFunc are required")
	}
	var inst [6]byte
	_, _ = rand.Read(inst[:])
	return &Registry{cfg: cfg.withDefaults(), rdb: rdb, load: load, log: log.With("component", "cluster"),
		instance: hex.EncodeToString(inst[:]), nodesKey: cfg.Namespace.Name(defaultNodesKey), started: time.Now().UTC(), now: time.Now,
		events: make(chan mediaEvent, 256)}, nil
}

// Self returns this node's ID.
func (r *Registry) Self() string { return r.cfg.NodeID }

// Secret returns the cluster secret ("" when relaying is off).
func (r *Registry) Secret() string { return r.cfg.Secret }

// Run heartbeats until ctx ends, then withdraws the node from the registry
// (and its origins and relays), so the others stop sending viewers to it
// at once rather than after DropAfter.
func (r *Registry) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Heartbeat)
	defer t.Stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.applyEvents(ctx)
	}()
	defer wg.Wait()
	for {
		if err := r.Beat(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("cluster heartbeat failed", "err", err)
		}
		select {
		case <-ctx.Done():
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			return r.withdraw(wctx)
		case <-t.C:
		}
	}
}

// Beat announces the node once: its entry, and a refresh of every media
// origin and relay it holds, in one pipelined round trip.
func (r *Registry) Beat(ctx context.Context) error {
	now := r.now().UTC()
	l := r.load()
	r.mu.Lock()
	cpu := r.cpu.read(now)
	r.mu.Unlock()
	n := Node{ID: r.cfg.NodeID, Instance: r.instance, PublicURL: r.cfg.PublicURL, Viewers: l.Viewers,
		Publishers: l.Publishers, Relays: l.Relays, CPU: cpu, Cores: runtime.NumCPU(), StartedAt: r.started,
		SeenAt: now}
	b, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode heartbeat: %w", err)
	}
	pipe := r.rdb.Pipeline()
	prev := pipe.HGet(ctx, r.nodesKey, r.cfg.NodeID)
	pipe.HSet(ctx, r.nodesKey, r.cfg.NodeID, b)
	for _, room := range l.Origins {
		pipe.Set(ctx, originKey(room), r.cfg.NodeID, r.cfg.DropAfter)
	}
	for _, room := range l.Relayed {
		pipe.HSet(ctx, relaysKey(room), r.cfg.NodeID, now.UnixMilli())
		pipe.PExpire(ctx, relaysKey(room), forgetAfter)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("heartbeat: %w", err)
	}
	r.checkTwin(prev.Val(), now)
	return nil
}

// checkTwin warns when another process heartbeats under this node's ID: two
// live nodes with one NODE_ID take each other's rooms at every scan. The
// entry a restarted node finds once, from its dead predecessor, is not a
// twin; one found at two heartbeats in a row is.
func (r *Registry) checkTwin(prev string, now time.Time) {
	var p Node
	twin := prev != "" && json.Unmarshal([]byte(prev), &p) == nil && p.Instance != r.instance &&
		now.Sub(p.SeenAt) <= r.cfg.DropAfter
	r.mu.Lock()
	if twin {
		r.twin++
	} else {
		r.twin = 0
	}
	n := r.twin
	r.mu.Unlock()
	if n == 2 {
		r.log.Error("another live process uses this NODE_ID; give each node its own", "node", r.cfg.NodeID,
			"other_instance", p.Instance, "other_url", p.PublicURL)
	}
}

// Twinned reports whether another live process heartbeats under this
// node's ID (two heartbeats in a row found its entry).
func (r *Registry) Twinned() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.twin >= 2
}

// withdraw removes the node's entry; its origins and relays lapse with it.
func (r *Registry) withdraw(ctx context.Context) error {
	l := r.load()
	pipe := r.rdb.Pipeline()
	pipe.HDel(ctx, r.nodesKey, r.cfg.NodeID)
	for _, room := range l.Relayed {
		pipe.HDel(ctx, relaysKey(room), r.cfg.NodeID)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("leave the cluster: %w", err)
	}
	for _, room := range l.Origins {
		r.ClearOrigin(ctx, room)
	}
	return nil
}

// Nodes lists the nodes that heartbeated within DropAfter, sorted by ID,
// and forgets nodes silent for a minute.
func (r *Registry) Nodes(ctx context.Context) ([]Node, error) {
	all, err := r.rdb.HGetAll(ctx, r.nodesKey).Result()
	if err != nil {
		return nil, fmt.Errorf("list cluster nodes: %w", err)
	}
	now := r.now()
	var out []Node
	var stale []string
	for id, v := range all {
		var n Node
		if err := json.Unmarshal([]byte(v), &n); err != nil {
			stale = append(stale, id)
			continue
		}
		age := now.Sub(n.SeenAt)
		switch {
		case age > forgetAfter:
			stale = append(stale, id)
		case age <= r.cfg.DropAfter:
			out = append(out, n)
		}
	}
	if len(stale) > 0 {
		_ = r.rdb.HDel(ctx, r.nodesKey, stale...).Err()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// node returns one live node's entry.
func (r *Registry) node(ctx context.Context, id string) (Node, bool, error) {
	v, err := r.rdb.HGet(ctx, r.nodesKey, id).Result()
	if errors.Is(err, redis.Nil) {
		return Node{}, false, nil
	}
	if err != nil {
		return Node{}, false, fmt.Errorf("read cluster node %s: %w", id, err)
	}
	var n Node
	if err := json.Unmarshal([]byte(v), &n); err != nil {
		return Node{}, false, nil
	}
	return n, r.now().Sub(n.SeenAt) <= r.cfg.DropAfter, nil
}

// millis parses a relay's heartbeat time.
func millis(s string) time.Time {
	ms, _ := strconv.ParseInt(s, 10, 64)
	return time.UnixMilli(ms)
}
