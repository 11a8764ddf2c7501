package signaling

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/events"
)

// TestChatNamesNoUserIDs: chat messages, live and in snapshots, carry the
// author's display name but never their user ID, so a viewer cannot tie a
// chat name to a bidder; the seller still mutes and bans by naming one of
// the author's messages.
func TestChatNamesNoUserIDs(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	aliceID := e.user("alice").ID
	alice, bob, seller := dial(t, srv, "alice"), dial(t, srv, "bob"), dial(t, srv, "seller")
	snap := alice.join(e.room.ID)
	if !strings.HasPrefix(snap.You.Alias, events.AliasPrefix) {
		t.Fatalf("snapshot you = %+v, want the user's room alias", snap.You)
	}
	bob.join(e.room.ID)
	seller.join(e.room.ID)

	alice.send(TypeChatSend, ChatSendData{Text: "hi all"})
	msg := bob.expect(TypeChatMessage)
	var m map[string]any
	_ = json.Unmarshal(msg.Data, &m)
	if strings.Contains(string(msg.Data), aliceID) || m["user_id"] != nil || m["display_name"] != "alice" {
		t.Fatalf("chat.message as bob sees it: %s", msg.Data)
	}
	late := dial(t, srv, "carol").join(e.room.ID)
	raw, _ := json.Marshal(late.Chat)
	if len(late.Chat) != 1 || strings.Contains(string(raw), aliceID) || strings.Contains(string(raw), "user_id") {
		t.Fatalf("snapshot chat: %s", raw)
	}
	// The seller's own messages are marked, so pages offer no tools on them.
	seller.expect(TypeChatMessage)
	seller.send(TypeChatSend, ChatSendData{Text: "welcome"})
	if sm := decodeAs[ChatMessage](t, bob.expect(TypeChatMessage)); !sm.Seller {
		t.Fatalf("seller's message not marked: %+v", sm)
	}

	msgID := decodeAs[ChatMessage](t, msg).MessageID
	tests := []struct {
		name     string
		typ      string
		data     ModerationData
		wantCode string
		wantUser string
	}{
		{"mute by message", TypeModMute, ModerationData{MessageID: msgID, Seconds: 60}, "", aliceID},
		{"ban by message", TypeModBan, ModerationData{MessageID: msgID}, "", aliceID},
		{"ban by user ID", TypeModBan, ModerationData{UserID: aliceID}, "", aliceID},
		{"unknown message", TypeModBan, ModerationData{MessageID: "0123456789abcdef"}, CodeBadRequest, ""},
		{"no target", TypeModMute, ModerationData{Seconds: 60}, CodeBadRequest, ""},
	}
	for _, tc := range tests {
		before := len(e.cmds.list())
		id := seller.send(tc.typ, tc.data)
		for {
			env := seller.next()
			if env.ID != id {
				continue // chat and viewer events
			}
			if tc.wantCode != "" {
				if d := decodeAs[ErrorData](t, env); env.Type != TypeError || d.Code != tc.wantCode {
					t.Fatalf("%s: %s %s, want error %s", tc.name, env.Type, env.Data, tc.wantCode)
				}
				break
			}
			if env.Type != TypeAck {
				t.Fatalf("%s: %s %s", tc.name, env.Type, env.Data)
			}
			cmds := e.cmds.list()
			if len(cmds) != before+1 || cmds[before].UserID != tc.wantUser || cmds[before].Type != tc.typ {
				t.Fatalf("%s: commands %+v, want %s of %s", tc.name, cmds[before:], tc.typ, tc.wantUser)
			}
			break
		}
	}
	// Only the seller may moderate, by message or not.
	id := bob.send(TypeModBan, ModerationData{MessageID: msgID})
	for {
		if env := bob.next(); env.ID == id {
			if d := decodeAs[ErrorData](t, env); d.Code != CodeForbidden {
				t.Fatalf("bob's ban: %s", env.Data)
			}
			break
		}
	}
}

// TestEventExceptSkipsOneUser: the public copy of a bid outcome skips the
// bidder, who gets their own copy (with the bid_id) instead, live and on
// resume.
func TestEventExceptSkipsOneUser(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	bobID := e.user("bob").ID
	publish := func(to, except, data string) int64 {
		seq, err := e.events.Publish(context.Background(), events.Event{Type: "bid.accepted", RoomID: e.room.ID,
			At: time.Now().UTC(), To: to, Except: except, Data: json.RawMessage(data)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	e.publish("lot.started", "", map[string]string{}) // so joins have a seq to resume from
	alice, bob := dial(t, srv, "alice"), dial(t, srv, "bob")
	snap := alice.join(e.room.ID)
	bob.join(e.room.ID)
	own := publish(bobID, "", `{"bid":{"bid_id":"b-1"}}`)
	pub := publish("", bobID, `{"bid":{}}`)
	end := publish("", "", `{"end":true}`)
	if env := bob.expect("bid.accepted"); env.Seq != own {
		t.Fatalf("bob got seq %d, want his own copy %d", env.Seq, own)
	}
	if env := bob.expect("bid.accepted"); env.Seq != end {
		t.Fatalf("bob got seq %d (%s), want %d: the public copy is not for him", env.Seq, env.Data, end)
	}
	if env := alice.expect("bid.accepted"); env.Seq != pub {
		t.Fatalf("alice got seq %d, want the public copy %d", env.Seq, pub)
	}
	// On resume the same rule holds.
	bob2 := dial(t, srv, "bob")
	bob2.send(TypeJoin, JoinData{RoomID: e.room.ID, ResumeFrom: snap.Seq})
	for _, want := range []int64{own, end} {
		if env := bob2.expect("bid.accepted"); env.Seq != want {
			t.Fatalf("bob's replay: seq %d, want %d", env.Seq, want)
		}
	}
}
