package bidding

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// BenchmarkParkedRooms measures what parked live rooms cost and how fast a
// parked room wakes: a node claims PARK_BENCH_ROOMS live rooms (default
// 1,000), they all park, and then it reports the goroutines per running
// and per parked room, the Redis commands per second of the whole node
// with every room parked (INFO total_commands_processed over 10 s, on a
// private Redis so nothing else is counted), and the time from a bid's
// arrival at a parked room to its decision, p50 and p99 over 50 wakes.
// Run with
//
//	go test ./bidding -run '^$' -bench ParkedRooms -benchtime 1x
func BenchmarkParkedRooms(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("PARK_BENCH_ROOMS")); err == nil && v > 0 {
		n = v
	}
	const wakes = 50
	ctx := context.Background()
	rs := testenv.StartRedis(b)
	opts, _ := redis.ParseURL(rs.URL())
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	db := storagetest.New(b)
	ids, lots, bidder := seedLiveRooms(b, db, n, wakes)

	clock := auction.NewFakeClock(time.Now())
	out := NewOutcomes(rdb, NewBidArchive(storage.NewBids(db)))
	rooms := NewRooms(RoomsConfig{Clock: clock, Pipeline: PipelineConfig{TaskCheckInterval: time.Second}},
		db, rdb, events.NewRedisLog(rdb), out, quietLog())
	store := storage.NewRooms(db)
	base := runtime.NumGoroutine()
	// A long lease: starting a thousand rooms on a loaded machine must not
	// lose leases midway (takeover speed is not measured here).
	node, err := NewNode(NodeConfig{NodeID: "bench-" + newUUID()[:8], Fences: storage.NewFences(db), LeaseTTL: 10 * time.Second,
		Parking: ParkConfig{Store: store, After: time.Minute, CheckInterval: time.Hour, SweepInterval: time.Hour,
			Now: clock.Now}}, rdb, store, rooms, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- node.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	waitUntil(b, 10*time.Minute, "every room claimed", func() bool { return len(node.Owned()) == n })
	running := runtime.NumGoroutine()

	b.ResetTimer()
	// A room whose lease lapsed under the load of starting them all is
	// claimed again, which counts as activity: it parks at the next check.
	for round := 0; len(node.Owned()) > 0; round++ {
		if round == 5 {
			b.Fatalf("%d rooms still running after %d parking checks", len(node.Owned()), round)
		}
		clock.Advance(2 * time.Minute)
		node.parkIdle(ctx)
	}
	// Stopped goroutines take a moment to return; wait for the count to
	// settle rather than for a fixed time.
	waitUntil(b, time.Minute, "goroutines to settle", func() bool { return runtime.NumGoroutine() < base+n/10 })
	parkedG := runtime.NumGoroutine()

	const window = 10 * time.Second
	before := commandsProcessed(b, rdb)
	time.Sleep(window) // the measuring window: idle by design
	cmds := float64(commandsProcessed(b, rdb)-before-1) / window.Seconds()

	ingress := NewIngress(rdb, out, IngressConfig{Waker: node})
	lat := make([]time.Duration, 0, wakes)
	for i := 0; i < wakes; i++ {
		bid := Bid{RoomID: ids[i], LotID: lots[i], BidID: "wake-" + strconv.Itoa(i), BidderID: bidder,
			Amount: 1_000_000, Currency: "KRW", Kind: KindBid}
		sent := time.Now()
		if _, err := ingress.Submit(ctx, bid); err != nil {
			b.Fatal(err)
		}
		waitUntil(b, 10*time.Second, "the bid's decision", func() bool {
			o, err := out.Get(ctx, bid.RoomID, bidder, bid.BidID)
			return err == nil && o.Status != StatusPending
		})
		lat = append(lat, time.Since(sent))
	}
	b.StopTimer()
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	b.ReportMetric(float64(running-base)/float64(n), "goroutines/running-room")
	b.ReportMetric(float64(parkedG-base)/float64(n), "goroutines/parked-room")
	b.ReportMetric(cmds, "redis-cmds/s")
	b.ReportMetric(float64(p50.Microseconds())/1000, "wake-p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "wake-p99-ms")
	b.Logf("%d rooms: goroutines %d before, %d running, %d parked; %.2f Redis commands/s parked; "+
		"bid to decision on a parked room over %d wakes: p50 %s, p99 %s", n, base, running, parkedG, cmds, wakes,
		p50.Round(time.Millisecond), p99.Round(time.Millisecond))
}

// seedLiveRooms makes n live rooms of one seller, the first withLots of
// them with a pending lot each, and a bidder.
func seedLiveRooms(b *testing.B, db *storage.DB, n, withLots int) (ids, lots []string, bidder string) {
	b.Helper()
	ctx := context.Background()
	users := storage.NewUsers(db)
	seller, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: "s-" + newUUID(), DisplayName: "Seller",
		Role: storage.RoleSeller})
	if err != nil {
		b.Fatal(err)
	}
	u, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: "b-" + newUUID(), DisplayName: "Bidder"})
	if err != nil {
		b.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `INSERT INTO rooms (seller_id, title, status, started_at, publish_token_hash)
		SELECT $1, 'room ' || g, 'live', now(), sha256(g::text::bytea) FROM generate_series(1, $2) g
		RETURNING id`, seller.ID, n)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	item, err := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "Camera"})
	if err != nil {
		b.Fatal(err)
	}
	incs, _ := IncrementTableJSON(auction.DefaultIncrements)
	pol, _ := json.Marshal(map[string]any{"kind": "soft-close"})
	for _, id := range ids[:withLots] {
		l, err := storage.NewLots(db).Add(ctx, storage.Lot{RoomID: id, ItemID: item.ID, Currency: "KRW",
			OpeningPrice: 10_000, DurationMS: 60_000, ClockPolicy: pol, IncrementTable: incs})
		if err != nil {
			b.Fatal(err)
		}
		lots = append(lots, l.ID)
	}
	return ids, lots, u.ID
}

// waitUntil polls cond until it holds or d passes.
func waitUntil(b testing.TB, d time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
