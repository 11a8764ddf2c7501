package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// fakeDNS answers lookups from a map that a test may change at any time.
type fakeDNS struct {
	mu      sync.Mutex
	answers map[string][]netip.Addr
}

func (d *fakeDNS) set(host string, addrs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.answers == nil {
		d.answers = map[string][]netip.Addr{}
	}
	d.answers[host] = nil
	for _, a := range addrs {
		d.answers[host] = append(d.answers[host], netip.MustParseAddr(a))
	}
}

func (d *fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.answers[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestWebhookRegistrationRefusesHiddenPrivateTargets registers URLs whose
// host is, or resolves to, a private address in many spellings: each gets
// the same 422 with a message that names no address.
func TestWebhookRegistrationRefusesHiddenPrivateTargets(t *testing.T) {
	dns := &fakeDNS{}
	dns.set("public.example", "93.184.216.34", "2606:4700:4700::1111")
	dns.set("loopback.example", "127.0.0.1")
	dns.set("mapped.example", "::ffff:10.1.2.3")
	dns.set("nat64.example", "64:ff9b::a9fe:a9fe")
	dns.set("sixtofour.example", "2002:c0a8:101::1")
	dns.set("mixed.example", "93.184.216.34", "fd00::17")
	dns.set("empty.example")
	e := newEnv(t, Config{Webhooks: WebhookConfig{LookupNetIP: dns.LookupNetIP}})
	alice := e.user("alice", RoleSeller)
	for _, u := range []string{
		"http://[::7f00:1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/",
		"http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]:8080/x", "http://[::127.0.0.1]/",
		"http://[64:ff9b::10.0.0.1]/", "http://[64:ff9b::169.254.169.254]/latest/meta-data/",
		"http://[64:ff9b:1::7f00:1]/", "http://[2002:a9fe:a9fe::1]/", "http://[2001:0:7f00:1::f7f7:f7f7]/",
		"http://[2001:0:808:808::80ff:fffe]/", "http://[fd00::1]/", "http://[fe80::1%25eth0]/",
		"http://[ff02::1]/", "http://[::]/", "http://[::1]:443/", "http://[2001:db8::1]/",
		"http://127.1/", "http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://localhost./",
		"http://LOCALHOST/", "http://api.localhost/", "http://0.0.0.0/", "http://192.0.2.1/",
		"http://loopback.example/", "http://mapped.example/", "http://nat64.example/",
		"http://sixtofour.example/", "http://mixed.example/", "http://empty.example/",
		"http://unknown.example/", "http://loopback.example./",
	} {
		r := e.do("POST", "/webhooks", alice, map[string]any{"url": u})
		if r.Status != http.StatusUnprocessableEntity || r.errField() != "url" {
			t.Errorf("%s: %d %s", u, r.Status, r.Raw)
			continue
		}
		if msg := r.Body["error"].(map[string]any)["message"]; msg != errTargetRefused().Message {
			t.Errorf("%s: message %q", u, msg)
		}
	}
	for _, u := range []string{"https://public.example/hook", "https://[64:ff9b::808:808]/",
		"https://[2002:808:808::1]/", "https://[2606:4700:4700::1111]:8443/"} {
		e.must(e.do("POST", "/webhooks", alice, map[string]any{"url": u}), http.StatusCreated)
	}
}

// TestWebhookDialRefusesPrivateAddresses checks the last line of defence,
// the dialer's Control, on addresses as the kernel is handed them.
func TestWebhookDialRefusesPrivateAddresses(t *testing.T) {
	for _, c := range addrCases {
		ip := netip.MustParseAddr(c.addr)
		err := controlPublic("tcp", netip.AddrPortFrom(ip, 443).String(), nil)
		if (err == nil) != c.public {
			t.Errorf("Control(%s): %v", c.addr, err)
		}
	}
}

// TestWebhookDNSRebindingNotConnected registers a host name that resolves
// to a public address, then makes it resolve to loopback, where a server
// listens: the delivery must not connect there, and the delivery log must
// say why without naming the address.
func TestWebhookDNSRebindingNotConnected(t *testing.T) {
	var hits atomic.Int32
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer endpoint.Close()
	eu, _ := url.Parse(endpoint.URL)

	dns := &fakeDNS{}
	dns.set("hooks.example", "93.184.216.34")
	queue := uniquePrefix("webhooks")
	cfg := Config{RateLimit: RateLimitConfig{Disabled: true}, Webhooks: WebhookConfig{
		LookupNetIP: dns.LookupNetIP, Queue: queue, PollInterval: 50 * time.Millisecond, MaxRetry: 1,
		RetryDelay: func(int) time.Duration { return time.Hour }}}
	e := newEnv(t, cfg)
	rdb := newRedis(t)
	alice := e.user("alice", RoleSeller)
	hook := e.must(e.do("POST", "/webhooks", alice,
		map[string]any{"url": "http://hooks.example:" + eu.Port() + "/hook"}), http.StatusCreated).str("id")
	dns.set("hooks.example", "127.0.0.1") // rebound after registration

	room := e.must(e.do("POST", "/rooms", alice, map[string]any{"title": "show"}), 201).str("id")
	item := e.must(e.do("POST", "/items", alice, map[string]any{"title": "vase"}), 201).str("id")
	lot := e.must(e.do("POST", "/rooms/"+room+"/lots", alice, validLot(item)), 201).str("id")
	worker, err := NewWebhookWorker(cfg, Deps{DB: e.db, Redis: rdb})
	if err != nil {
		t.Fatal(err)
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
	ev := LotClosedEvent{LotID: lot, RoomID: room, Outcome: "unsold", Currency: "EUR", ClosedAt: time.Now().UTC()}
	if err := EnqueueLotClosed(context.Background(), client, ev, asynq.Queue(queue)); err != nil {
		t.Fatal(err)
	}
	var log resp
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if log = e.must(e.do("GET", "/webhooks/"+hook+"/deliveries", alice, nil), 200); len(log.list()) > 0 {
			break
		}
	}
	entries := log.list()
	if len(entries) == 0 {
		t.Fatal("no delivery attempt was logged")
	}
	if hits.Load() != 0 {
		t.Fatalf("the delivery reached the loopback server %d times", hits.Load())
	}
	if entries[0]["error"] != "target address is not allowed" || entries[0]["status_code"] != nil {
		t.Fatalf("delivery log: %v", entries)
	}
	if strings.Contains(string(log.Raw), "127.0.0.1") || strings.Contains(string(log.Raw), eu.Port()) {
		t.Fatalf("the delivery log reveals the address: %s", log.Raw)
	}
}

func TestDeliveryFailureNamesNoAddress(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{errors.New("dial tcp 10.0.0.1:80: " + errPrivateTarget.Error()), "could not connect or send the request"},
		{&net.OpError{Op: "dial", Err: errPrivateTarget}, "target address is not allowed"},
		{errors.Join(errUnresolved, errors.New("lookup x on 10.0.0.53:53")), "target host could not be resolved"},
		{context.DeadlineExceeded, "timed out"},
	} {
		if got := deliveryFailure(c.err); got != c.want {
			t.Errorf("deliveryFailure(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
