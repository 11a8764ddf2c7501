package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// TestWebhookDeliveryRetried registers a webhook on a test endpoint that
// fails the first delivery with 500 and accepts the second, and checks the
// signature and the delivery log.
func TestWebhookDeliveryRetried(t *testing.T) {
	queue := uniquePrefix("webhooks")
	cfg := Config{RateLimit: RateLimitConfig{Disabled: true}, Webhooks: WebhookConfig{
		AllowPrivateTargets: true, Queue: queue, PollInterval: 50 * time.Millisecond,
		RetryDelay: func(int) time.Duration { return 100 * time.Millisecond }}}
	e := newEnv(t, cfg)
	rdb := newRedis(t)

	type hit struct {
		body   []byte
		header http.Header
	}
	var (
		mu   sync.Mutex
		hits []hit
	)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		hits = append(hits, hit{body, r.Header.Clone()})
		n := len(hits)
		mu.Unlock()
		if n == 1 {
			http.Error(w, "not today", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer endpoint.Close()

	alice := e.user("alice", RoleSeller)
	hook := e.must(e.do("POST", "/webhooks", alice, map[string]any{"url": endpoint.URL + "/hook"}), http.StatusCreated)
	secret := hook.str("secret")
	if len(secret) < 32 {
		t.Fatalf("secret: %s", hook.Raw)
	}
	if got := e.must(e.do("GET", "/webhooks/"+hook.str("id"), alice, nil), 200); got.str("secret") != "" {
		t.Fatal("the secret is shown again")
	}
	room := e.must(e.do("POST", "/rooms", alice, map[string]any{"title": "show"}), 201).str("id")
	item := e.must(e.do("POST", "/items", alice, map[string]any{"title": "vase"}), 201).str("id")
	lot := e.must(e.do("POST", "/rooms/"+room+"/lots", alice, validLot(item)), 201).str("id")

	// The worker enqueues through the process's one Asynq client.
	tasks := asynq.NewClientFromRedisClient(rdb)
	worker, err := NewWebhookWorker(cfg, Deps{DB: e.db, Redis: rdb, Tasks: tasks})
	if err != nil {
		t.Fatal(err)
	}
	if worker.client != tasks || worker.handler.client != tasks {
		t.Fatal("the webhook worker opened its own Asynq client instead of using Deps.Tasks")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- worker.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = asynq.NewInspectorFromRedisClient(rdb).DeleteQueue(queue, true)
	})

	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	price := int64(4200)
	winner := uid(e.user("bidder", RoleBidder))
	ev := LotClosedEvent{LotID: lot, RoomID: room, Outcome: "sold", WinnerID: &winner, Price: &price,
		Currency: "EUR", ClosedAt: time.Now().UTC()}
	for range 2 { // a repeated call must not notify twice
		if err := EnqueueLotClosed(context.Background(), client, ev, asynq.Queue(queue)); err != nil {
			t.Fatal(err)
		}
	}

	var log []map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for len(log) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		log = e.must(e.do("GET", "/webhooks/"+hook.str("id")+"/deliveries", alice, nil), 200).list()
	}
	if len(log) != 2 {
		t.Fatalf("delivery log has %d entries, want 2", len(log))
	}
	// Newest first: the successful retry, then the failure.
	if log[0]["status_code"] != 200.0 || log[0]["attempt"] != 2.0 || log[1]["status_code"] != 500.0 ||
		log[1]["attempt"] != 1.0 || log[1]["error"] == "" {
		t.Fatalf("delivery log: %v", log)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hits) != 2 {
		t.Fatalf("endpoint got %d requests", len(hits))
	}
	for i, h := range hits {
		if !VerifySignature(secret, h.body, h.header.Get(HeaderSignature)) {
			t.Fatalf("request %d: signature %q does not verify", i, h.header.Get(HeaderSignature))
		}
		if VerifySignature("whsec_wrong", h.body, h.header.Get(HeaderSignature)) {
			t.Fatal("a wrong secret verifies")
		}
		if h.header.Get(HeaderEvent) != EventLotClosed || h.header.Get(HeaderDelivery) != "evt_lot_closed_"+lot ||
			h.header.Get(HeaderTimestamp) == "" {
			t.Fatalf("headers: %v", h.header)
		}
	}
	if string(hits[0].body) != string(hits[1].body) {
		t.Fatal("a retry sent a different body")
	}
	var body struct {
		Type string         `json:"type"`
		Data LotClosedEvent `json:"data"`
	}
	if err := json.Unmarshal(hits[1].body, &body); err != nil || body.Type != EventLotClosed ||
		body.Data.LotID != lot || *body.Data.Price != 4200 || *body.Data.WinnerID != winner {
		t.Fatalf("body %s: %v", hits[1].body, err)
	}
}

func TestWebhookTargets(t *testing.T) {
	strict := targetPolicy{}
	for _, u := range []string{
		"ftp://example.com/x", "example.com/hook", "/hook", "http://", "javascript:alert(1)",
		"https://user:pw@example.com/", "http://127.0.0.1:9/x", "http://localhost/x", "http://a.localhost/",
		"http://10.1.2.3/", "http://192.168.0.1/", "http://169.254.169.254/latest", "http://[::1]/",
		"http://100.64.0.1/", "http://0.0.0.0/",
	} {
		if err := strict.checkURL(context.Background(), u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if err := strict.checkURL(context.Background(), "https://93.184.216.34/hook"); err != nil {
		t.Errorf("public address refused: %v", err)
	}
	lax := targetPolicy{allowPrivate: true}
	if err := lax.checkURL(context.Background(), "http://127.0.0.1:9/x"); err != nil {
		t.Errorf("loopback refused with private targets allowed: %v", err)
	}
	if err := lax.checkURL(context.Background(), "gopher://127.0.0.1/"); err == nil {
		t.Error("non-http scheme accepted with private targets allowed")
	}
	// The dialer refuses private addresses too, whatever DNS says later.
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	if _, err := strict.client(time.Second).Get(srv.URL); err == nil {
		t.Error("the delivery client reached a loopback server")
	}
	if !publicAddr(netip.MustParseAddr("8.8.8.8")) || publicAddr(netip.MustParseAddr("::ffff:10.0.0.1")) {
		t.Error("publicAddr")
	}
}

func TestWebhookRegistration(t *testing.T) {
	e := newEnv(t, Config{Webhooks: WebhookConfig{MaxPerOwner: 2}})
	alice := e.user("alice", RoleSeller)
	bob := e.user("bob", RoleSeller)
	for _, c := range []struct {
		body  string
		field string
	}{
		{`{}`, "url"},
		{`{"url":"ftp://example.com/"}`, "url"},
		{`{"url":"http://127.0.0.1/"}`, "url"},
		{`{"url":"https://93.184.216.34/","events":["lot.opened"]}`, "events[0]"},
		{`{"url":"https://93.184.216.34/","events":[]}`, "events"},
	} {
		if r := e.do("POST", "/webhooks", alice, c.body); r.Status != 422 || r.errField() != c.field {
			t.Errorf("%s: %d %s", c.body, r.Status, r.Raw)
		}
	}
	id := e.must(e.do("POST", "/webhooks", alice, map[string]any{"url": "https://93.184.216.34/a"}), 201).str("id")
	e.must(e.do("POST", "/webhooks", alice, map[string]any{"url": "https://93.184.216.34/b"}), 201)
	e.must(e.do("POST", "/webhooks", alice, map[string]any{"url": "https://93.184.216.34/c"}), http.StatusConflict)
	if n := len(e.must(e.do("GET", "/webhooks", alice, nil), 200).list()); n != 2 {
		t.Fatalf("%d webhooks", n)
	}
	e.must(e.do("GET", "/webhooks/"+id, bob, nil), http.StatusNotFound)
	e.must(e.do("DELETE", "/webhooks/"+id, bob, nil), http.StatusNotFound)
	e.must(e.do("GET", "/webhooks/"+id+"/deliveries", bob, nil), http.StatusNotFound)
	e.must(e.do("DELETE", "/webhooks/"+id, alice, nil), http.StatusNoContent)
	e.must(e.do("GET", "/webhooks/"+id, alice, nil), http.StatusNotFound)
}

// TestWebhookCapUnderRace registers many webhooks for one seller at once:
// the per-seller cap must hold exactly, however the requests interleave.
func TestWebhookCapUnderRace(t *testing.T) {
	const maxHooks, extra = 3, 9
	e := newEnv(t, Config{RateLimit: RateLimitConfig{Disabled: true}, Webhooks: WebhookConfig{MaxPerOwner: maxHooks}})
	alice := e.user("alice", RoleSeller)
	statuses := make(chan int, maxHooks+extra)
	var wg sync.WaitGroup
	for i := range maxHooks + extra {
		wg.Go(func() {
			r := e.do("POST", "/webhooks", alice, map[string]any{"url": "https://93.184.216.34/" + itoa(i)})
			statuses <- r.Status
		})
	}
	wg.Wait()
	close(statuses)
	created := 0
	for s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", s)
		}
	}
	if n := len(e.must(e.do("GET", "/webhooks?limit=100", alice, nil), 200).list()); created != maxHooks || n != maxHooks {
		t.Fatalf("%d registrations succeeded and %d webhooks exist; the cap is %d", created, n, maxHooks)
	}
}
