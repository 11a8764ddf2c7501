package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// clusterNode is one auctiond process of a test cluster.
type clusterNode struct {
	name string
	base string
	proc *testenv.Process
	env  []string
}

// startCluster starts n auctiond processes on loopback (distinct HTTP and
// ICE ports) sharing one Postgres schema and one private Redis, relaying
// between each other.
func startCluster(t *testing.T, n int) []*clusterNode {
	t.Helper()
	bin := testenv.BuildBinary(t, "github.com/bidcast/bidcast/cmd/auctiond")
	// A private Redis: the registry is per Redis, and other tests' servers
	// must not join this cluster.
	rds := testenv.StartRedis(t)
	dbURL := storagetest.URL(t)
	shared := []string{
		"DATABASE_URL=" + dbURL, "REDIS_URL=" + rds.URL(), "ADMIN_ADDR=",
		"SFU_UDP_ADDR=127.0.0.1:0", "SFU_TCP_ADDR=off", "DEMO=false",
		"AUTH_JWT_KEY=" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("c", 40))),
		"AUTH_RATE_LIMIT_DISABLED=true", "CLIENT_LIMITS_DISABLED=true", "API_RATE_LIMIT_DISABLED=true",
		"CLUSTER_SECRET=cluster-test-secret-0123456789", "BID_POLL_INTERVAL=100ms", "MEDIA_DIR=" + t.TempDir(),
	}
	nodes := make([]*clusterNode, n)
	var public string
	for i := range nodes {
		addr := testenv.FreeAddr(t)
		nd := &clusterNode{name: string(rune('a' + i)), base: "http://" + addr}
		if i == 0 {
			// One public URL for the cluster (the load balancer's, in
			// production): sessions are valid on every node.
			public = nd.base
		}
		nd.env = append(append([]string{}, shared...), "HTTP_ADDR="+addr, "PUBLIC_URL="+public,
			"NODE_URL="+nd.base, "NODE_ID=node-"+nd.name)
		nd.proc = testenv.StartProcess(t, bin, nd.env, "serve")
		nodes[i] = nd
	}
	for _, nd := range nodes {
		nd.proc.WaitHTTP(nd.base+"/readyz", 30*time.Second)
	}
	return nodes
}

// mediaViewer is a receive-only peer that counts the video it gets.
type mediaViewer struct {
	pc      *webrtc.PeerConnection
	packets atomic.Int64
}

func newMediaViewer(t *testing.T) *mediaViewer {
	t.Helper()
	pc, err := pionAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	v := &mediaViewer{pc: pc}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			v.packets.Add(1)
		}
	})
	return v
}

// waitPackets waits until the viewer has more than n packets and returns
// how long that took.
func (v *mediaViewer) waitPackets(t *testing.T, what string, n int64, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for v.packets.Load() <= n {
		if time.Since(start) > within {
			t.Fatalf("%s: no video within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// roomMember is a guest in the room over one node's WebSocket, watching the
// room's video there, and recording what it hears.
type roomMember struct {
	u      *httpUser
	ws     *wsClient
	viewer *mediaViewer
	mu     sync.Mutex
	chats  map[string]bool   // chat texts heard
	bids   map[int64]bool    // accepted amounts heard
	acked  map[string]bool   // bid_ids acknowledged to this member
	sent   map[string]string // request id → bid_id
}

// join connects m on node nd: the WebSocket, the room, and (watch) the video.
func (m *roomMember) join(t *testing.T, nd *clusterNode, roomID string, watch bool) {
	t.Helper()
	m.u = &httpUser{t: t, base: nd.base, c: m.u.c} // same cookies: the session is the cluster's
	m.ws = m.u.dialTap(func(msg wsMsg) {
		m.mu.Lock()
		defer m.mu.Unlock()
		switch msg.Type {
		case "chat.message":
			m.chats[msg.field("text")] = true
		case "bid.accepted":
			var d struct {
				Bid struct {
					Amount struct {
						Amount int64 `json:"amount"`
					} `json:"amount"`
				} `json:"bid"`
			}
			if json.Unmarshal(msg.Data, &d) == nil {
				m.bids[d.Bid.Amount.Amount] = true
			}
		case "ack":
			if id := m.sent[msg.ID]; id != "" {
				m.acked[id] = true
			}
		}
	})
	m.ws.request("join", map[string]any{"room_id": roomID})
	if !watch {
		return
	}
	m.viewer = newMediaViewer(t)
	ans := m.ws.request("media.subscribe", map[string]any{"sdp": gatheredOffer(t, m.viewer.pc)})
	if ans.Type != "media.answer" {
		t.Fatalf("media.subscribe on %s: %s %s", nd.name, ans.Type, ans.Data)
	}
	if err := m.viewer.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer,
		SDP: ans.field("sdp")}); err != nil {
		t.Fatal(err)
	}
}

// bid places a bid and remembers its request for the ack.
func (m *roomMember) bid(lotID, bidID string, amount int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.ws.send("bid.place", map[string]any{"lot_id": lotID, "amount": amount, "currency": "KRW", "bid_id": bidID})
	m.sent[id] = bidID
}

func (m *roomMember) heard(chat string, amount int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return (chat == "" || m.chats[chat]) && (amount == 0 || m.bids[amount])
}

func newRoomMember(t *testing.T, base, name string) *roomMember {
	t.Helper()
	u := newHTTPUser(t, base)
	if code := u.do("POST", "/auth/guest", fmt.Sprintf(`{"display_name":%q}`, name), nil); code/100 != 2 {
		t.Fatalf("guest sign-in: %d", code)
	}
	return &roomMember{u: u, chats: map[string]bool{}, bids: map[int64]bool{}, acked: map[string]bool{},
		sent: map[string]string{}}
}

// TestThreeNodeCluster runs three auctiond processes on one Postgres and
// one Redis: the seller publishes on A; viewers on B and C receive the
// stream through relays; chat and bids from every node reach everyone;
// B is killed and its viewer resumes on C; B is restarted; A is killed,
// the publisher reconnects to B, C's relay follows it and C's viewer sees
// video again, and the room resumes; no acknowledged bid is lost. Times are logged against the targets (5 s,
// 15 s) and checked only loosely: the machine is shared.
func TestThreeNodeCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers and real WebRTC peers")
	}
	nodes := startCluster(t, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]

	cmd := exec.Command(testenv.BuildBinary(t, "github.com/bidcast/bidcast/cmd/auctiond"), "room", "create",
		"--title", "Cluster", "--seller", "kim", "--lots", "1", "--duration", "30m", "--live",
		"--guests-may-bid", "--json")
	cmd.Env = append(cmd.Environ(), a.env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("room create: %v", err)
	}
	var room ops.Room
	if err := json.Unmarshal(out, &room); err != nil || len(room.LotIDs) != 1 {
		t.Fatalf("room create output: %v %s", err, out)
	}
	lot := room.LotIDs[0]
	seller := newHTTPUser(t, a.base)
	seller.do("GET", strings.TrimPrefix(room.SellerLoginURL, a.base), "", nil)
	sws := seller.dial()
	sws.request("join", map[string]any{"room_id": room.RoomID})
	sws.request("lot.start", map[string]any{"lot_id": lot})

	stopPub := publishVP8(t, a.base+"/whip/"+room.RoomID, room.PublishToken)

	// One member per node; those on B and C watch there (relayed from A).
	members := []*roomMember{newRoomMember(t, a.base, "on-a"), newRoomMember(t, b.base, "on-b"),
		newRoomMember(t, c.base, "on-c")}
	for i, m := range members {
		m.join(t, nodes[i], room.RoomID, i > 0)
	}
	for i, m := range members[1:] {
		took := m.viewer.waitPackets(t, "viewer on "+nodes[i+1].name, 0, 20*time.Second)
		t.Logf("viewer on %s: first video after %s", nodes[i+1].name, took.Round(time.Millisecond))
	}

	// Chat and bids from every node reach every member.
	amount := int64(10_000)
	var amounts []int64
	for i, m := range members {
		m.ws.request("chat.send", map[string]any{"text": "hello from " + nodes[i].name})
		amount += 10_000
		m.bid(lot, fmt.Sprintf("c-%d", i), amount)
		amounts = append(amounts, amount)
		waitForCond(t, "the bid from "+nodes[i].name+" to be accepted", 10*time.Second, func() bool {
			return m.heard("", amount)
		})
	}
	for _, m := range members {
		for i, nd := range nodes {
			waitForCond(t, "chat and bid from "+nd.name, 10*time.Second, func() bool {
				return m.heard("hello from "+nd.name, amounts[i])
			})
		}
	}

	// kill -9 B: its member reconnects to C and watches again there.
	b.proc.Kill()
	killed := time.Now()
	members[1].join(t, c, room.RoomID, true)
	members[1].viewer.waitPackets(t, "B's viewer on C", 0, 20*time.Second)
	t.Logf("edge killed: its viewer watches on C again %s after the kill (target 5 s)",
		time.Since(killed).Round(time.Millisecond))

	// B comes back (same NODE_ID) and serves again.
	b.proc.Start()
	b.proc.WaitHTTP(b.base+"/readyz", 30*time.Second)

	// kill -9 A (the origin): the publisher reconnects to another node (B,
	// as the studio page would through the load balancer); C, still
	// relaying from the dead A, finds the new origin and resubscribes, and
	// its viewers see video again without re-joining.
	a.proc.Kill()
	killed = time.Now()
	stopPub()
	// Packets already on their way drain first: the count must hold still
	// for half a second before "video again" means anything.
	n := members[2].viewer.packets.Load()
	for still := time.Now(); time.Since(still) < 500*time.Millisecond; {
		if m := members[2].viewer.packets.Load(); m != n {
			n, still = m, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		err := tryPublishVP8(t, b.base+"/whip/"+room.RoomID, room.PublishToken)
		if err == nil {
			break
		}
		if time.Since(killed) > 20*time.Second {
			t.Fatalf("the publisher could not reconnect to B: %v", err)
		}
		time.Sleep(200 * time.Millisecond) // the studio page's retry
	}
	republished := time.Since(killed)
	members[2].viewer.waitPackets(t, "C's viewer after the origin died", n, 30*time.Second)
	t.Logf("origin killed: publisher back on B after %s; C's viewer (relayed) sees video again %s after the kill "+
		"(target 15 s)", republished.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))

	// The room resumes on C: a bid there is decided.
	amount += 10_000
	members[2].bid(lot, "after-origin", amount)
	waitForCond(t, "a bid after A's death to be accepted", 20*time.Second, func() bool {
		return members[2].heard("", amount)
	})

	// No acknowledged bid is lost: each has its row in Postgres.
	checkAckedBids(t, nodes[0].env, room.RoomID, members)
}

// tryPublishVP8 is publishVP8 that reports a refused publish instead of
// failing the test, as a reconnecting studio page retries.
func tryPublishVP8(t *testing.T, whipURL, token string) error {
	t.Helper()
	pc, err := pionAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pub")
	if err != nil {
		pc.Close()
		return err
	}
	if _, err := pc.AddTrack(track); err != nil {
		pc.Close()
		return err
	}
	status, answer := postSDP(t, whipURL, token, gatheredOffer(t, pc))
	if status != http.StatusCreated {
		pc.Close()
		return fmt.Errorf("WHIP publish: %d %s", status, answer)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		pc.Close()
		return err
	}
	halt := sendVP8(track)
	t.Cleanup(func() { halt(); pc.Close() })
	return nil
}

// waitForCond polls cond until it holds or within passes.
func waitForCond(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkAckedBids checks that every bid acknowledged to a member is stored.
func checkAckedBids(t *testing.T, env []string, roomID string, members []*roomMember) {
	t.Helper()
	var dbURL string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "DATABASE_URL="); ok {
			dbURL = v
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	stored := map[string]bool{}
	rows, err := conn.Query(ctx, `SELECT bid_id FROM bids WHERE room_id = $1`, roomID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stored[id] = true
	}
	acked := 0
	for _, m := range members {
		m.mu.Lock()
		for id := range m.acked {
			acked++
			if !stored[id] {
				t.Errorf("acknowledged bid %s is not in Postgres", id)
			}
		}
		m.mu.Unlock()
	}
	if acked == 0 {
		t.Fatal("no bid was acknowledged")
	}
}

// TestRestartedNodeDecidesAtOnce kills the server (kill -9) in the middle of
// a show and starts it again with the same NODE_ID: it takes its room back
// in its first scan instead of waiting for its old lease to lapse, so the
// first bid after the restart is decided as soon as the server is ready.
// Logged against the figure (4–6 s before this change), checked
// loosely.
func TestRestartedNodeDecidesAtOnce(t *testing.T) {
	s := startCrashShow(t, storagetest.URL(t), testenv.Require(t, "REDIS_URL"))
	conns := s.connect()
	s.bidRounds(conns, 0, 2)
	s.srv.Kill()
	s.srv.Start()
	s.srv.WaitHTTP(s.base+"/readyz", 30*time.Second)
	ready := time.Now()
	conn := s.bidders[0].dial()
	conn.request("join", map[string]any{"room_id": s.roomID})
	s.amount += 50_000
	id := conn.send("bid.place", map[string]any{"lot_id": s.lotID, "amount": s.amount, "currency": "KRW",
		"bid_id": "after-restart"})
	conn.await("the first bid after the restart decided", func(m wsMsg) bool {
		return (m.Type == "bid.accepted" || m.Type == "bid.rejected") && strings.Contains(string(m.Data), "after-restart") ||
			m.Type == "error" && m.ID == id
	})
	took := time.Since(ready)
	t.Logf("restarted node: first bid decided %s after it was ready (before stable NODE_IDs: 4–6 s)",
		took.Round(time.Millisecond))
	if took > 8*time.Second {
		t.Fatalf("the restarted node took %s to decide a bid", took)
	}
}
