package signaling

import (
	"encoding/json"
	"testing"
	"time"
)

// TestTwoGatewaysShareARoom: two nodes on one Redis deliver the same events
// with the same seqs, chat crosses nodes, and the viewer count is the sum of
// both nodes.
func TestTwoGatewaysShareARoom(t *testing.T) {
	e := newEnv(t)
	fast := func(c *Config) { c.ViewerInterval = 50 * time.Millisecond }
	_, srvA := e.gateway(func(c *Config) { fast(c); c.NodeID = "a-" + e.room.ID[:8] })
	_, srvB := e.gateway(func(c *Config) { fast(c); c.NodeID = "b-" + e.room.ID[:8] })
	alice, bob := dial(t, srvA, "alice"), dial(t, srvB, "bob")
	bobID := e.user("bob").ID
	alice.join(e.room.ID)
	bob.join(e.room.ID)

	// Both see two viewers once each node has published its count.
	for _, c := range []*client{alice, bob} {
		waitViewers(t, c, 2)
	}

	seq := e.publish("lot.price", "", map[string]int{"amount": 7})
	private := e.publish("bid.accepted", bobID, map[string]string{"bid_id": "b"})
	after := e.publish("clock", "", map[string]int64{"deadline": 1, "server_time": 0})
	for _, c := range []*client{alice, bob} {
		if env := c.expect("lot.price"); env.Seq != seq {
			t.Fatalf("seq %d, want %d", env.Seq, seq)
		}
	}
	if env := bob.expect("bid.accepted"); env.Seq != private {
		t.Fatalf("private seq %d", env.Seq)
	}
	for _, c := range []*client{alice, bob} {
		if env := c.expect("clock"); env.Seq != after {
			t.Fatalf("clock seq %d, want %d", env.Seq, after)
		}
	}

	bob.send(TypeChatSend, ChatSendData{Text: "from node B"})
	if m := decodeAs[ChatMessage](t, alice.expect(TypeChatMessage)); m.Text != "from node B" {
		t.Fatalf("alice got %+v", m)
	}

	// When bob leaves node B, node A's viewers see the count drop.
	bob.send(TypeLeave, nil)
	waitViewers(t, alice, 1)
}

// waitViewers reads until a viewers message with count n arrives.
func waitViewers(t *testing.T, c *client, n int64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		env := c.nextAny()
		if env.Type != TypeViewers {
			continue
		}
		var d ViewersData
		_ = json.Unmarshal(env.Data, &d)
		if d.Count == n {
			return
		}
	}
	t.Fatalf("no viewers count of %d", n)
}
