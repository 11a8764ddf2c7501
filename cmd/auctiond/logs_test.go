package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestShowLogIsReadable runs a short show (go live, a publisher over WHIP,
// a lot with bids, the lot ended, the publisher gone, the room ended) with
// the server logging JSON at info, and checks that the log stays short
// (Pion's ICE and DTLS chatter is not at info), that no line repeats an
// attribute, and that each event of the show is there exactly once, so an
// operator can follow the show from the log alone.
func TestShowLogIsReadable(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e := newShowLogged(t, "", log, 1, time.Minute)
	e.goLive()
	lot := e.room.LotIDs[0]
	stopPub := publishVP8(t, e.room.WHIPURL, e.room.PublishToken)

	sws := e.seller.dial()
	sws.request("join", map[string]any{"room_id": e.room.RoomID})
	alice := e.guest("alice").dial()
	alice.request("join", map[string]any{"room_id": e.room.RoomID})
	sws.request("lot.start", map[string]any{"lot_id": lot})
	alice.await("lot started", isEvent("lot.started"))
	alice.request("bid.place", map[string]any{"lot_id": lot, "amount": 10_000, "currency": "KRW", "bid_id": "a-1"})
	alice.await("bid accepted", isEvent("bid.accepted"))
	sws.request("lot.end", map[string]any{})
	alice.await("lot closed", isEvent("lot.closed"))
	stopPub()
	if code := e.seller.do("POST", "/api/v1/rooms/"+e.room.RoomID+"/end", "", nil); code != 200 {
		t.Fatalf("end room: status %d", code)
	}

	// Each significant event once, with the room named once.
	want := []string{"bidcast is up", "room live", "room claimed", "sfu publisher joined", "lot started",
		"lot closed", "sfu session closed", "room ended"}
	var lines []map[string]any
	deadline := time.Now().Add(15 * time.Second)
	for {
		lines = parseLog(t, buf.String())
		missing := missingOnce(lines, want, e.room.RoomID)
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events not logged exactly once: %v\n%s", missing, buf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The closed lot's line says how it ended.
	for _, l := range lines {
		if l["msg"] == "lot closed" && (l["result"] != "sold" || fmt.Sprint(l["price"]) != "10000" || l["lot"] != lot) {
			t.Errorf("lot closed line lacks its result: %v", l)
		}
	}
	const maxLines = 40
	if len(lines) > maxLines {
		t.Errorf("%d lines at info for a one-lot show, want at most %d:\n%s", len(lines), maxLines, buf.String())
	}
	for _, l := range lines {
		if p, ok := l["pion"]; ok {
			t.Errorf("Pion line at info: %v %v", p, l["msg"])
		}
	}
}

// parseLog decodes each JSON line of log and fails the test on a line that
// names an attribute twice.
func parseLog(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if line == "" {
			continue
		}
		if dup := duplicateKey(line); dup != "" {
			t.Fatalf("attribute %q twice in: %s", dup, line)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// duplicateKey returns a top-level key that appears twice in the JSON
// object line, or "".
func duplicateKey(line string) string {
	dec := json.NewDecoder(strings.NewReader(line))
	if _, err := dec.Token(); err != nil { // {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := tok.(string)
		if seen[key] {
			return key
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

// missingOnce returns the messages of want that are not logged exactly once
// about room (the start-up line is about no room).
func missingOnce(lines []map[string]any, want []string, room string) []string {
	count := map[string]int{}
	for _, l := range lines {
		msg, _ := l["msg"].(string)
		if r, ok := l["room"]; ok && r != room {
			continue
		}
		count[msg]++
	}
	var missing []string
	for _, w := range want {
		if count[w] != 1 {
			missing = append(missing, fmt.Sprintf("%s×%d", w, count[w]))
		}
	}
	return missing
}
