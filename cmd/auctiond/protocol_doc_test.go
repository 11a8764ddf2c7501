package main

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bidcast/bidcast/signaling"
)

// Outside clients are written from docs/protocol.md alone, so these tests
// hold the document and the server to each other: every message type,
// error code and rejection reason of the code is in the document and the
// reverse, and every message type and data field a real show sends is
// described there.

// readProtocolDoc returns docs/protocol.md.
func readProtocolDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docSection returns the text under the heading (such as "## Error
// codes") up to the next heading of any level.
func docSection(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, heading+"\n")
	if i < 0 {
		t.Fatalf("docs/protocol.md has no %q section", heading)
	}
	rest := doc[i+len(heading)+1:]
	if j := strings.Index(rest, "\n#"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// firstColumnCodes lists the backticked words in the first column of every
// table row of text.
func firstColumnCodes(text string) []string {
	var out []string
	tick := regexp.MustCompile("`([a-z0-9_.]+)`")
	for _, line := range strings.Split(text, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if !strings.HasPrefix(strings.TrimSpace(line), "|") || len(cells) < 2 {
			continue
		}
		for _, m := range tick.FindAllStringSubmatch(cells[0], -1) {
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// constantsIn lists the string values of the constants in a Go file whose
// names match namePattern ("Code[A-Za-z]*", say).
func constantsIn(t *testing.T, file, namePattern string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)\b` + namePattern + `\s+(?:[A-Za-z]+\s+)?=\s+"([a-z0-9_]+)"`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// sameSet reports the differences between what the code has and the
// document lists.
func sameSet(t *testing.T, what string, code, doc []string) {
	t.Helper()
	for _, c := range code {
		if !slices.Contains(doc, c) {
			t.Errorf("%s %q is in the code but not in docs/protocol.md", what, c)
		}
	}
	for _, d := range doc {
		if !slices.Contains(code, d) {
			t.Errorf("%s %q is in docs/protocol.md but not in the code", what, d)
		}
	}
}

func TestProtocolDocListsEveryTypeCodeAndReason(t *testing.T) {
	doc := readProtocolDoc(t)
	sameSet(t, "client message type", signaling.ClientTypes(), firstColumnCodes(docSection(t, doc, "## Client → server")))
	sameSet(t, "error code", constantsIn(t, "../../signaling/errors.go", `Code[A-Za-z]*`),
		firstColumnCodes(docSection(t, doc, "## Error codes")))
	events := docSection(t, doc, "### Room events")
	const reasonTable = "`reason` of `bid.rejected`:"
	if !strings.Contains(events, reasonTable) {
		t.Fatalf("docs/protocol.md's Room events section has no %q table", reasonTable)
	}
	docReasons := firstColumnCodes(events[strings.Index(events, reasonTable):])
	sameSet(t, "rejection reason", constantsIn(t, "../../auction/types.go", `Reason[A-Za-z]*`), docReasons)
}

// TestProtocolDocDescribesWhatTheServerSends runs a short show (a maximum,
// a plain bid, a rejection, chat, moderation, pause and resume, the close)
// and checks that every message type and every data field the clients
// received is named in docs/protocol.md.
func TestProtocolDocDescribesWhatTheServerSends(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a show")
	}
	e := newShow(t, 1, time.Minute)
	e.goLive()
	lot := e.room.LotIDs[0]

	var mu sync.Mutex
	seen := map[string]map[string]bool{} // type → data fields
	tap := func(m wsMsg) {
		mu.Lock()
		defer mu.Unlock()
		if seen[m.Type] == nil {
			seen[m.Type] = map[string]bool{}
		}
		var data map[string]json.RawMessage
		if json.Unmarshal(m.Data, &data) == nil {
			for k := range data {
				seen[m.Type][k] = true
			}
		}
	}
	dial := func(u *httpUser) *wsClient {
		c := u.dialTap(tap)
		c.request("join", map[string]any{"room_id": e.room.RoomID})
		return c
	}
	seller := dial(e.seller)
	seller.request("lot.start", map[string]any{"lot_id": lot})
	alice, bob := dial(e.guest("alice")), dial(e.guest("bob"))
	bid := func(c *wsClient, typ string, amount int64) {
		c.request(typ, map[string]any{"lot_id": lot, "amount": amount, "currency": "KRW", "bid_id": newUUID()})
	}
	bid(bob, "bid.place", 10_000)
	bob.await("bob's bid", isEvent("bid.accepted"))
	bid(alice, "bid.max", 50_000)
	bob.await("bob outbid by the proxy", isEvent("bid.outbid"))
	bid(bob, "bid.place", 10_000)
	bob.await("bob's rejection", isEvent("bid.rejected"))
	bob.request("chat.send", map[string]any{"text": "nice lens"})
	alice.request("time.sync", map[string]any{"client_time": time.Now().UnixMilli()})
	alice.request("media.ice", map[string]any{})
	seller.request("mod.slow", map[string]any{"seconds": 5})
	seller.request("lot.pause", map[string]any{})
	bob.await("pause", isEvent("clock"))
	seller.request("lot.resume", map[string]any{})
	seller.request("lot.end", map[string]any{})
	bob.await("lot closed", isEvent("lot.closed"))

	doc := readProtocolDoc(t)
	mu.Lock()
	defer mu.Unlock()
	for typ, fields := range seen {
		if !strings.Contains(doc, "`"+typ+"`") {
			t.Errorf("the server sent %q, which docs/protocol.md does not name", typ)
		}
		for f := range fields {
			if !regexp.MustCompile(`[{\x60, ]` + regexp.QuoteMeta(f) + `[?}\x60, ]`).MatchString(doc) {
				t.Errorf("the server sent %s with field %q, which docs/protocol.md does not name", typ, f)
			}
		}
	}
	for _, want := range []string{"room.snapshot", "ack", "lot.started", "bid.accepted", "bid.outbid",
		"bid.rejected", "chat.message", "time.sync", "moderation", "clock", "lot.closing", "lot.closed"} {
		if seen[want] == nil {
			t.Errorf("the show sent no %s; the test no longer covers it", want)
		}
	}
}
