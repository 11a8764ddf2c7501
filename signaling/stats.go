package signaling

import "sync/atomic"

// counters are the gateway's running totals; atomics, so the hot paths
// never take a lock to count.
type counters struct {
	connections      atomic.Int64
	connectionsTotal atomic.Int64
	rejected         atomic.Int64
	messagesIn       atomic.Int64
	messagesOut      atomic.Int64
	eventsRelayed    atomic.Int64
	slowConsumers    atomic.Int64
	rateLimited      atomic.Int64
	errors           atomic.Int64
	bids             atomic.Int64
}

// Stats is a snapshot of the gateway's counters, for export as metrics.
type Stats struct {
	// Connections is the number open now; ConnectionsTotal counts every
	// upgrade since start, Rejected every upgrade refused (origin, auth).
	Connections      int64
	ConnectionsTotal int64
	Rejected         int64
	// Rooms is the number of rooms with local connections (and so a Redis
	// subscription on this node).
	Rooms int64
	// MessagesIn counts client messages read; MessagesOut messages written.
	MessagesIn  int64
	MessagesOut int64
	// EventsRelayed counts room events fanned out (once per event per node).
	EventsRelayed int64
	// SlowConsumers counts connections closed for falling behind.
	SlowConsumers int64
	// RateLimited counts requests refused by a rate limit; Errors every
	// error message sent, rate limits included.
	RateLimited int64
	Errors      int64
	// Bids counts bids taken into the pipeline, resubmissions included.
	Bids int64
}

// Stats returns the current counters.
func (g *Gateway) Stats() Stats {
	return Stats{
		Connections:      g.stats.connections.Load(),
		ConnectionsTotal: g.stats.connectionsTotal.Load(),
		Rejected:         g.stats.rejected.Load(),
		Rooms:            int64(len(g.hub.list())),
		MessagesIn:       g.stats.messagesIn.Load(),
		MessagesOut:      g.stats.messagesOut.Load(),
		EventsRelayed:    g.stats.eventsRelayed.Load(),
		SlowConsumers:    g.stats.slowConsumers.Load(),
		RateLimited:      g.stats.rateLimited.Load(),
		Errors:           g.stats.errors.Load(),
		Bids:             g.stats.bids.Load(),
	}
}
