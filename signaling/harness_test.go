package signaling

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// env is one test's world: a private schema, the shared real Redis, a live
// room with its seller, and helpers to start gateways over them.
type env struct {
	t        *testing.T
	rdb      redis.UniversalClient
	db       *storage.DB
	users    *storage.Users
	rooms    *storage.Rooms
	events   *events.RedisLog
	ingress  *bidding.Ingress
	outcomes *bidding.Outcomes
	room     storage.Room
	seller   storage.User
	cmds     *fakeCommander
}

func newEnv(t *testing.T) *env {
	t.Helper()
	opts, err := redis.ParseURL(testenv.Require(t, "REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	db := storagetest.New(t)
	e := &env{t: t, rdb: rdb, db: db, users: storage.NewUsers(db), rooms: storage.NewRooms(db),
		events: events.NewRedisLog(rdb), cmds: &fakeCommander{}}
	e.outcomes = bidding.NewOutcomes(rdb, nil)
	e.ingress = bidding.NewIngress(rdb, e.outcomes, bidding.IngressConfig{BannedSet: BannedKey})
	e.seller = e.user("seller")
	// Running a room takes the seller role, not only the room's seller_id.
	if _, err := e.users.SetRole(context.Background(), e.seller.ID, storage.RoleSeller); err != nil {
		t.Fatal(err)
	}
	e.room = e.newRoom(storage.RoomLive)
	return e
}

func (e *env) user(name string) storage.User {
	e.t.Helper()
	u, err := e.users.Upsert(context.Background(), storage.User{Provider: "guest", Subject: name, DisplayName: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) newRoom(status string) storage.Room {
	e.t.Helper()
	ctx := context.Background()
	// The harness signs people in as guests (DevGuestAuthenticator), so its rooms take
	// guest bids; bidgrant_test.go covers rooms that do not.
	r, _, err := e.rooms.Create(ctx, storage.NewRoom{SellerID: e.seller.ID, Title: "Sneaker night", Public: true,
		GuestsMayBid: true})
	if err != nil {
		e.t.Fatal(err)
	}
	if status != r.Status {
		if r, err = e.rooms.SetStatus(ctx, r.ID, status); err != nil {
			e.t.Fatal(err)
		}
	}
	return r
}

// gateway starts a gateway with test-friendly settings (adjusted by tune)
// behind an httptest server, and shuts both down when the test ends.
func (e *env) gateway(tune func(*Config)) (*Gateway, *httptest.Server) {
	e.t.Helper()
	return e.gatewayWith(tune, nil)
}

// gatewayWith is gateway with the Deps adjusted by deps as well.
func (e *env) gatewayWith(tune func(*Config), deps func(*Deps)) (*Gateway, *httptest.Server) {
	e.t.Helper()
	// Connection caps count per address, and every test connects from
	// loopback: each gateway counts under keys of its own.
	cfg := Config{ViewerInterval: time.Hour, OriginPatterns: []string{"shop.example"},
		LimitPrefix: "bidcast:test:ws:" + rand.Text() + ":"}
	if tune != nil {
		tune(&cfg)
	}
	d := Deps{
		Auth:      DevGuestAuthenticator{Users: e.users, Enabled: true},
		Rooms:     StorageRooms{e.rooms},
		Redis:     e.rdb,
		Events:    e.events,
		Bids:      ingressBids{e.ingress},
		Commander: e.cmds,
	}
	if deps != nil {
		deps(&d)
	}
	g, err := New(cfg, d)
	if err != nil {
		e.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /ws", g)
	srv := httptest.NewServer(mux)
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := g.Shutdown(ctx); err != nil {
			e.t.Errorf("shutdown: %v", err)
		}
		srv.Close()
	})
	return g, srv
}

// publish puts a room event on the log as the room actor would.
func (e *env) publish(typ, to string, data any) int64 {
	e.t.Helper()
	raw, _ := json.Marshal(data)
	seq, err := e.events.Publish(context.Background(), events.Event{Type: typ, RoomID: e.room.ID,
		At: time.Now().UTC(), To: to, Data: raw}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return seq
}

// client is a real WebSocket client.
type client struct {
	t  *testing.T
	ws *websocket.Conn
	n  int
	// held are the rest of a room.events list, read one by one.
	held []Envelope
}

func dial(t *testing.T, srv *httptest.Server, guest string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, wsURL(srv, guest), nil)
	if err != nil {
		t.Fatalf("dial as %s: %v (%v)", guest, err, resp)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	return &client{t: t, ws: ws}
}

func wsURL(srv *httptest.Server, guest string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?guest=" + guest
}

// send writes a request and returns its id.
func (c *client) send(typ string, data any) string {
	c.t.Helper()
	c.n++
	id := fmt.Sprintf("r%d", c.n)
	raw, _ := json.Marshal(data)
	b, _ := json.Marshal(Envelope{V: 1, Type: typ, ID: id, Data: raw})
	c.sendRaw(b)
	return id
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next returns the next message other than viewer counts.
func (c *client) next() Envelope {
	c.t.Helper()
	for {
		if env := c.nextAny(); env.Type != TypeViewers {
			return env
		}
	}
}

// nextAny returns the next message; the events of a room.events list come
// one by one, as if each had been sent alone.
func (c *client) nextAny() Envelope {
	c.t.Helper()
	for len(c.held) == 0 {
		env := c.nextFrame()
		msgs, err := Unpack(env)
		if err != nil || len(msgs) == 0 {
			c.t.Fatalf("server sent a bad %s %s: %v", env.Type, env.Data, err)
		}
		c.held = msgs
	}
	env := c.held[0]
	c.held = c.held[1:]
	return env
}

// nextFrame returns the next message as sent.
func (c *client) nextFrame() Envelope {
	c.t.Helper()
	{
		// A safety net, not a timing check: generous, so a loaded 2-core
		// machine running -race does not fail a test that would pass.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		_, b, err := c.ws.Read(ctx)
		cancel()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		var env Envelope
		if err := json.Unmarshal(b, &env); err != nil {
			c.t.Fatalf("server sent bad JSON %q: %v", b, err)
		}
		return env
	}
}

// expect reads the next message and checks its type.
func (c *client) expect(typ string) Envelope {
	c.t.Helper()
	env := c.next()
	if env.Type != typ {
		c.t.Fatalf("got %s %s, want %s", env.Type, env.Data, typ)
	}
	return env
}

// expectError reads the next message and checks it is an error with code
// answering request id.
func (c *client) expectError(id, code string) {
	c.t.Helper()
	env := c.expect(TypeError)
	var d ErrorData
	_ = json.Unmarshal(env.Data, &d)
	if d.Code != code || d.RefID != id || env.ID != id {
		c.t.Fatalf("error = %+v (id %q), want code %s for %s", d, env.ID, code, id)
	}
}

// join joins the room and returns the snapshot.
func (c *client) join(roomID string) SnapshotData {
	c.t.Helper()
	id := c.send(TypeJoin, JoinData{RoomID: roomID})
	var snap SnapshotData
	_ = json.Unmarshal(c.expect(TypeSnapshot).Data, &snap)
	ack := c.expect(TypeAck)
	if ack.ID != id {
		c.t.Fatalf("join ack id = %q, want %q", ack.ID, id)
	}
	return snap
}

func decodeAs[T any](t *testing.T, env Envelope) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(env.Data, &v); err != nil {
		t.Fatalf("decode %s data %s: %v", env.Type, env.Data, err)
	}
	return v
}

// fakeCommander records commands; it stands in for the room actor.
type fakeCommander struct {
	mu   sync.Mutex
	cmds []Command
	err  error
}

func (f *fakeCommander) Command(_ context.Context, _ string, _ Identity, cmd Command) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cmds = append(f.cmds, cmd)
	return f.err
}

func (f *fakeCommander) list() []Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Command(nil), f.cmds...)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ingressBids is the test's plug from the gateway to the bid pipeline's
// ingress (the server's is cmd/auctiond's gatewayBids).
type ingressBids struct{ in *bidding.Ingress }

func (b ingressBids) SubmitBid(ctx context.Context, r BidRequest) (BidReceipt, error) {
	kind := bidding.KindBid
	if r.Max {
		kind = bidding.KindMax
	}
	rec, err := b.in.Submit(ctx, bidding.Bid{RoomID: r.RoomID, LotID: r.LotID, BidID: r.BidID,
		BidderID: r.BidderID, Amount: r.Amount, Currency: r.Currency, Kind: kind})
	if errors.Is(err, bidding.ErrInvalidBid) {
		return BidReceipt{}, Errorf(CodeInvalidBid, err.Error())
	}
	if errors.Is(err, bidding.ErrBidderBanned) {
		return BidReceipt{}, Errorf(CodeBanned, "you are banned from this room")
	}
	if err != nil {
		return BidReceipt{}, err
	}
	return BidReceipt{Seq: rec.Bid.Seq, Status: rec.Outcome.Status, Reason: rec.Outcome.Reason,
		Duplicate: rec.Duplicate}, nil
}
