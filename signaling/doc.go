// Package signaling is the WebSocket gateway of a Bidcast node: the one
// long-lived connection a browser (or a load-test client) keeps open while it
// is in a live room.
//
// Over that connection a client joins a room, receives the room's snapshot and
// then every room event in order (bid outcomes, price, clock and lot changes,
// chat), places bids, chats, runs the show if it is the seller, and exchanges
// WebRTC signaling with the SFU. The wire protocol (version 1) is documented
// message by message in docs/protocol.md; the Go types in protocol.go are its
// source of truth.
//
// The gateway owns no auction state. Bids go to the bid pipeline
// (BidSubmitter), seller commands and moderation to the room actor on the
// room's owner node (Commander), media to the SFU (Media). What clients see
// comes back as room events published through the event log (package
// events, which also holds their wire types and the bidder aliases): each has
// a per-room sequence number, reaches every node on the room's Redis pub/sub
// channel and is kept for a while so a reconnecting client can resume.
//
// The gateway declares what it needs as small interfaces; two of its
// implementations live here because they only translate: AuthService gives
// auth's rules (who connects, bids, watches) in the gateway's types and
// codes, and SFUMedia drives this node's SFU (package sfu). The bid pipeline
// and the room actors are plugged in by cmd/auctiond, since signaling does
// not import bidding.
//
// Fan-out follows coder/websocket's chat example: each node holds one Redis
// subscription per room that has local viewers, and hands each event to every
// local connection through that connection's bounded send buffer without ever
// blocking. A connection whose buffer is full is too slow to follow the room;
// it is closed with StatusPolicyViolation instead of holding everyone up, and
// one whose write hangs for WriteTimeout is cut by the write watchdog.
//
// Events coalesce under load, never at rest (fanout.go): a room's flusher
// hands out, in one pass over the room's connections, every event that
// arrived during the previous pass, encoded once per audience (the users a
// private event or a public copy concerns get their own message first;
// everyone else shares one). One event goes out alone, as it came; several
// go out as one room.events list. Events waiting in a connection's queue
// merge the same way, so a connection that falls behind gets fewer, larger
// writes; and while events keep coming a connection gets at most one
// message of them per Config.EventInterval (writer.go), unless something
// concerns its user alone, which goes at once. Every client still sees
// every event meant for it, in seq order. The gateway frames its messages
// itself, a pass's message once for every connection, and writes each as
// one write of the socket it wraps under coder/websocket, which keeps the
// reading side and its control frames (wsframe.go, writepool.go).
//
// A client is bounded before the upgrade: each user holds at most
// ConnsPerUser sockets and each client address (clientip, so behind trusted
// proxies only) ConnsPerAddr, sellers and admins not counted per address,
// over every node (internal/ratelimit's Redis slots, renewed by a heartbeat
// goroutine and freed when the connection ends); message rates are per
// connection, so per user they are bounded by ConnsPerUser.
//
// Rights are read when a connection opens (the account's role and site ban)
// and when it joins a room (the right to watch it: public, its seller, an
// admin, or a viewer token; see ViewChecker). When they change, whoever
// changed them publishes an access notice (internal/accessnotice); every
// node re-reads the rights of the connections it names and closes those
// that lost them with StatusRightsChanged or StatusAccessRevoked.
//
// A join also tells Deps.Waker, which wakes the room's auction if it was
// parked for want of anyone in it; Gateway.Present tells the bid pipeline
// whether anyone is connected to a room on any node (the viewer counts).
//
// Every goroutine is owned: per connection, one goroutine reads and handles
// requests, a writer exists only while messages are queued (run by the
// node's write pool, or on a goroutine of its own while it holds events for
// EventInterval), and a ping runs briefly every PingInterval; per room, a
// flusher exists only while events wait; per node, a few write-pool workers
// exist only while connections wait for them (writepool.go), one goroutine
// receives from Redis pub/sub, one publishes viewer counts, one renews
// connection slots, one applies access notices and one watches for hung
// writes.
// Gateway.Shutdown closes connections with StatusGoingAway and waits for all
// of them.
package signaling
