package signaling

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/bidcast/bidcast/internal/clientip"
)

// DefaultEventInterval is Config.EventInterval's default: at most twenty
// messages of room events a second to a watcher during a storm. With 2,000
// watchers of a room at 500 bids/s on two cores, 20 ms left the machine
// short of CPU (broadcast lag p99 112-166 ms); 50 ms took it to 84-89 ms.
const DefaultEventInterval = 50 * time.Millisecond

// Config tunes the gateway. Zero values take the defaults documented on each
// field; Validate reports settings that make no sense.
type Config struct {
	// OriginPatterns are the hosts (path.Match patterns, as in
	// websocket.AcceptOptions) allowed in the Origin header besides the
	// request's own host. Requests without an Origin (non-browser clients)
	// are allowed; browsers always send one.
	OriginPatterns []string
	// NodeID names this node in per-node Redis state (viewer counts).
	// Empty means a random ID per Gateway.
	NodeID string

	// ReadLimit is the largest client message in bytes. Zero means 4 KiB,
	// plenty for every message but SDP, which MediaReadLimit covers.
	ReadLimit int64
	// MediaReadLimit is the largest media.* message: SDP offers with
	// simulcast and several codecs run to tens of KiB. Zero means 64 KiB.
	MediaReadLimit int64
	// SendBuffer is how many outgoing messages may wait for one connection
	// (room events waiting merge into one room.events message). A
	// connection that falls this far behind is closed as too slow. Zero
	// means 128.
	SendBuffer int
	// EventInterval is the shortest time between two messages of room
	// events to one connection while events keep coming: under load a
	// watcher gets at most one message per interval, the events between
	// merged into a room.events list, instead of one message per event.
	// At rest an event goes at once. A connection's own events (its bids'
	// outcomes, what concerns its user alone) and every other message go
	// at once, with whatever waits before them. Zero means
	// DefaultEventInterval; a negative value sends every round as it comes.
	EventInterval time.Duration
	// WriteTimeout bounds one write to the socket (the write watchdog
	// checks every quarter of it). Zero means 10 s.
	WriteTimeout time.Duration
	// PingInterval is how often the server pings; PongTimeout how long it
	// waits for the pong before closing. Zero means 20 s and 10 s.
	PingInterval time.Duration
	PongTimeout  time.Duration

	// ChatRate and ChatBurst limit chat messages per connection (zero: one
	// per second, burst 5). BidRate and BidBurst limit bids (zero: 5/s,
	// burst 10). MessageRate and MessageBurst limit every message (zero:
	// 20/s, burst 40), so no client can make the server work for free.
	ChatRate     rate.Limit
	ChatBurst    int
	BidRate      rate.Limit
	BidBurst     int
	MessageRate  rate.Limit
	MessageBurst int

	// ChatMaxRunes caps a chat message (zero: 500). ChatHistory is how many
	// recent messages a room keeps for its snapshot (zero: 50).
	ChatMaxRunes int
	ChatHistory  int64

	// ResumeMax is the most missed events replayed on resume; further behind,
	// the client gets a snapshot. Zero means SendBuffer/2, so a replay can
	// never overflow the send buffer.
	ResumeMax int64
	// RoomCacheTTL is how long a room's status is trusted before it is read
	// again for the auction guard. Zero means 2 s.
	RoomCacheTTL time.Duration
	// ViewerInterval is how often viewer counts are published and sent (at
	// most once per interval, only when changed). Zero means 1 s.
	ViewerInterval time.Duration
	// RequestTimeout bounds the work done for one client request (Redis,
	// Postgres, the room actor). Zero means 5 s.
	RequestTimeout time.Duration

	// ConnsPerUser caps the WebSockets one user holds open over all nodes
	// (zero: 16; negative: no cap). With it, a user's message budget over
	// all connections is at most ConnsPerUser times the per-connection
	// rates above.
	ConnsPerUser int
	// ConnsPerAddr caps the WebSockets from one client address (an IPv6
	// /64) over all its users and nodes (zero: 50, room for a household or
	// an office behind one NAT; negative: no cap). Sellers and admins are
	// not counted, so viewers on the seller's network cannot lock the
	// seller out.
	ConnsPerAddr int
	// ClientIP finds a request's client address; its zero value trusts no
	// proxy (TRUSTED_PROXIES).
	ClientIP clientip.Resolver
	// LimitPrefix starts the Redis keys of the connection caps. Zero means
	// "bidcast:ws:conns:". Tests give each gateway its own.
	LimitPrefix string
	// SlotTTL is how long the connection slots of a node that died keep
	// counting (live nodes renew theirs every SlotTTL/3). Zero means 60 s.
	SlotTTL time.Duration

	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.NodeID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		c.NodeID = "node-" + hex.EncodeToString(b[:])
	}
	setDefault(&c.ReadLimit, 4<<10)
	setDefault(&c.MediaReadLimit, 64<<10)
	setDefault(&c.SendBuffer, 128)
	setDefault(&c.EventInterval, DefaultEventInterval)
	setDefault(&c.WriteTimeout, 10*time.Second)
	setDefault(&c.PingInterval, 20*time.Second)
	setDefault(&c.PongTimeout, 10*time.Second)
	setDefault(&c.ChatRate, 1)
	setDefault(&c.ChatBurst, 5)
	setDefault(&c.BidRate, 5)
	setDefault(&c.BidBurst, 10)
	setDefault(&c.MessageRate, 20)
	setDefault(&c.MessageBurst, 40)
	setDefault(&c.ChatMaxRunes, 500)
	setDefault(&c.ChatHistory, 50)
	setDefault(&c.ResumeMax, int64(c.SendBuffer/2))
	setDefault(&c.RoomCacheTTL, 2*time.Second)
	setDefault(&c.ViewerInterval, time.Second)
	setDefault(&c.RequestTimeout, 5*time.Second)
	setDefault(&c.ConnsPerUser, 16)
	setDefault(&c.ConnsPerAddr, 50)
	setDefault(&c.LimitPrefix, "bidcast:ws:conns:")
	setDefault(&c.SlotTTL, time.Minute)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Validate reports the first setting that cannot work. It judges the
// configuration after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.ReadLimit < 256:
		return errors.New("signaling: ReadLimit must be at least 256 bytes")
	case c.MediaReadLimit < c.ReadLimit:
		return errors.New("signaling: MediaReadLimit must be at least ReadLimit")
	case c.SendBuffer < 8:
		return errors.New("signaling: SendBuffer must be at least 8")
	case c.EventInterval > time.Minute:
		return errors.New("signaling: EventInterval must be at most 1m")
	case c.PongTimeout >= c.PingInterval:
		return fmt.Errorf("signaling: PongTimeout %v must be shorter than PingInterval %v", c.PongTimeout, c.PingInterval)
	case c.ResumeMax > int64(c.SendBuffer):
		return errors.New("signaling: ResumeMax must not exceed SendBuffer")
	case c.ChatRate < 0 || c.BidRate < 0 || c.MessageRate < 0:
		return errors.New("signaling: rates must not be negative")
	case c.SlotTTL < 3*time.Second:
		return errors.New("signaling: SlotTTL must be at least 3 s")
	}
	for _, p := range c.OriginPatterns {
		if _, err := pathMatch(p, ""); err != nil {
			return fmt.Errorf("signaling: bad origin pattern %q: %w", p, err)
		}
	}
	return nil
}
