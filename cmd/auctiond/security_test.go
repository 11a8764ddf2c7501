package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/api"
	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/storage"
)

// The access tables live in docs/SECURITY.md, between these markers; the
// tests below hold the server to them, cell by cell.
const (
	httpTableMarker = "<!-- access:http -->"
	wsTableMarker   = "<!-- access:ws -->"
	tableEndMarker  = "<!-- /access -->"
)

// roles are the table's columns, in order.
var roles = []string{"anonymous", "guest", "bidder", "other seller", "seller", "admin"}

// accessRow is one row of an access table: a route or message (with an
// optional scenario in parentheses, such as "private room") and the
// expected answer per role.
type accessRow struct {
	subject  string // "GET /api/v1/rooms/{id}" or "bid.place"
	scenario string // "" or e.g. "private room"
	want     []string
}

// readAccessTable parses the table after marker in docs/SECURITY.md.
func readAccessTable(t *testing.T, marker string) []accessRow {
	t.Helper()
	doc, err := os.ReadFile("../../docs/SECURITY.md")
	if err != nil {
		t.Fatalf("read docs/SECURITY.md: %v", err)
	}
	text := string(doc)
	start := strings.Index(text, marker)
	if start < 0 {
		t.Fatalf("docs/SECURITY.md has no %s table", marker)
	}
	text = text[start+len(marker):]
	text = text[:strings.Index(text, tableEndMarker)]
	var rows []accessRow
	for _, line := range strings.Split(text, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 1+len(roles) || !strings.Contains(cells[0], "`") {
			continue
		}
		first := strings.TrimSpace(cells[0])
		end := strings.LastIndex(first, "`")
		r := accessRow{subject: strings.Trim(first[:end+1], "`")}
		r.scenario = strings.Trim(strings.TrimSpace(first[end+1:]), "()")
		for _, c := range cells[1:] {
			r.want = append(r.want, strings.TrimSpace(c))
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		t.Fatalf("the %s table of docs/SECURITY.md has no rows", marker)
	}
	return rows
}

// servedRoutes lists every route the public listener serves, from the
// code: the main mux with its mounted subtrees expanded by the packages
// that own them.
func servedRoutes(app *App) []string {
	var out []string
	for _, m := range app.routeTable() {
		switch m.pattern {
		case "/whip/":
			out = append(out, app.mediaHTTP.Patterns()...)
		case "/whep/": // listed with /whip/: one handler serves both
		case "/auth/":
			out = append(out, app.svc.auth.RoutePatterns()...)
		case api.Prefix + "/":
			out = append(out, api.Routes()...)
		default:
			if !strings.Contains(m.pattern, " ") {
				out = append(out, "GET "+m.pattern) // pages and files answer GET and HEAD only
			} else {
				out = append(out, m.pattern)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// securityEnv is a running server and what every row of the tables needs.
type securityEnv struct {
	t    *testing.T
	base string
	app  *App
	cfg  Config
}

func newSecurityEnv(t *testing.T) *securityEnv {
	cfg := testConfigWith(t, "", map[string]string{"API_RATE_LIMIT_DISABLED": "true",
		"AUTH_RATE_LIMIT_DISABLED": "true", "BID_POLL_INTERVAL": "100ms"})
	base, app := startApp(t, cfg)
	return &securityEnv{t: t, base: base, app: app, cfg: cfg}
}

// fixture is what one row is tried against: a room of its seller with a
// lot, an item and a webhook of the seller, and a private room of the
// same seller.
type fixture struct {
	sellerID, roomID, lotID, itemID, webhookID, privateRoomID, privateLotID string
	// publishToken is the public room's WHIP credential; viewerToken an
	// invitation to the private room, issued by its seller.
	publishToken, viewerToken string
}

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// newFixture makes a fixture; live makes its rooms live (started on this
// node), otherwise they are scheduled (public, visible, no actor).
func (e *securityEnv) newFixture(live bool) fixture {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db := e.app.db
	seller := randomName("seller")
	var f fixture
	for _, public := range []bool{true, false} {
		room, err := ops.CreateRoom(ctx, db, e.base, "Security", seller, ops.RoomOptions{Public: public})
		if err != nil {
			e.t.Fatal(err)
		}
		lots, err := ops.AddLots(ctx, db, room.RoomID, room.SellerID, ops.LotSpec{Count: 2, Currency: "KRW",
			Opening: 10_000, DurationMS: time.Minute.Milliseconds(), Policy: "soft-close"})
		if err != nil {
			e.t.Fatal(err)
		}
		if !live {
			if _, err := storage.NewRooms(db).Schedule(ctx, room.RoomID, time.Now().Add(time.Hour)); err != nil {
				e.t.Fatal(err)
			}
		}
		f.sellerID = room.SellerID
		if public {
			f.roomID, f.lotID, f.publishToken = room.RoomID, lots[0], room.PublishToken
		} else {
			f.privateRoomID, f.privateLotID = room.RoomID, lots[0]
		}
	}
	item, err := storage.NewItems(db).Create(ctx, storage.Item{SellerID: f.sellerID, Title: "Lens"})
	if err != nil {
		e.t.Fatal(err)
	}
	hook, err := storage.NewWebhooks(db).Create(ctx, storage.Webhook{OwnerID: f.sellerID,
		URL: "https://hooks.example.com/bidcast", Secret: strings.Repeat("s", 32), Events: []string{"lot.sold"}}, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	f.itemID, f.webhookID = item.ID, hook.ID
	f.viewerToken, err = e.app.svc.auth.IssueViewerToken(auth.Principal{UserID: f.sellerID, Role: storage.RoleSeller},
		auth.Room{ID: f.privateRoomID, SellerID: f.sellerID})
	if err != nil {
		e.t.Fatal(err)
	}
	if live {
		u := e.signIn("seller", f)
		for _, id := range []string{f.roomID, f.privateRoomID} {
			if code := u.do("POST", "/api/v1/rooms/"+id+"/live", "", nil); code != http.StatusOK {
				e.t.Fatalf("go live: status %d", code)
			}
		}
	}
	return f
}

// signIn returns a browser-like client signed in as role ("anonymous" is
// not signed in; "seller" is the fixture's seller).
func (e *securityEnv) signIn(role string, f fixture) *httpUser {
	e.t.Helper()
	u := newHTTPUser(e.t, e.base)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	userID := f.sellerID
	switch role {
	case "anonymous":
		return u
	case "guest":
		if code := u.do("POST", "/auth/guest", `{"display_name":"Gus"}`, nil); code != http.StatusOK {
			e.t.Fatalf("guest sign-in: status %d", code)
		}
		return u
	case "bidder", "other seller", "admin":
		dbRole := map[string]string{"bidder": storage.RoleBidder, "other seller": storage.RoleSeller,
			"admin": storage.RoleAdmin}[role]
		users := storage.NewUsers(e.app.db)
		usr, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: randomName("u"), DisplayName: "User"})
		if err == nil && usr.Role != dbRole {
			usr, err = users.SetRole(ctx, usr.ID, dbRole)
		}
		if err != nil {
			e.t.Fatal(err)
		}
		userID = usr.ID
	}
	link, err := e.app.svc.auth.IssueLoginLink(ctx, userID)
	if err != nil {
		e.t.Fatal(err)
	}
	if code := u.do("GET", strings.TrimPrefix(link, e.cfg.PublicURL), "", nil); code != http.StatusOK {
		e.t.Fatalf("login link for %s: status %d", role, code)
	}
	return u
}

// newUUID returns a random UUID that names nothing.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
