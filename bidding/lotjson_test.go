package bidding

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// TestLotJSONKeepsItsNames: the documents written into a lot's JSON columns
// have, byte for byte, the field names rows already hold (they were the
// auction types' JSON tags before storage owned the shapes).
func TestLotJSONKeepsItsNames(t *testing.T) {
	at := time.Date(2026, 12, 5, 1, 2, 3, 4_000, time.UTC)
	incs, err := IncrementTableJSON(auction.Increments{{From: 0, Step: 50}, {From: 1_000, Step: 100}})
	if err != nil {
		t.Fatal(err)
	}
	none, err := IncrementTableJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	tiers, err := json.Marshal([]storage.PolicyTier{{RaiseBP: 500, CutMS: 2_000}})
	if err != nil {
		t.Fatal(err)
	}
	upd, err := lotUpdate(auction.LotState{LotID: "l1", Status: auction.StatusLive, Version: 2, LiveSince: at,
		HighSeq: 7, BidCount: 3, LastSeq: 9,
		Proxies: []auction.ProxyMax{{BidderID: "u1", Max: 15_000, Seq: 5, ReceivedAt: at}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, got, want string }{
		{"increment table", string(incs), `[{"from":0,"step":50},{"from":1000,"step":100}]`},
		{"no increment table", string(none), `null`},
		{"policy tiers", string(tiers), `[{"raise_bp":500,"cut_ms":2000}]`},
		{"proxy state", string(upd.ProxyState), `{"live_since":"2026-12-05T01:02:03.000004Z","high_seq":7,"bid_count":3,` +
			`"proxies":[{"bidder_id":"u1","max":15000,"seq":5,"received_at":"2026-12-05T01:02:03.000004Z"}],"last_seq":9}`},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
}

// TestLotFromOldStoredJSON: a lot stored before storage owned the shapes
// (as Postgres's jsonb returns it: keys reordered, spaces added) decodes to
// the same rules and hidden maxima, and a lot without tiers or proxies keeps
// them nil, which the engine reads as its defaults.
func TestLotFromOldStoredJSON(t *testing.T) {
	at := time.Date(2026, 12, 5, 1, 2, 3, 4_000, time.UTC)
	stored := storage.Lot{ID: "l1", Currency: "KRW", OpeningPrice: 10_000, DurationMS: 60_000, State: "live",
		Version:        4,
		IncrementTable: json.RawMessage(`[{"from": 0, "step": 50}, {"step": 100, "from": 1000}]`),
		ClockPolicy: json.RawMessage(`{"kind": "dynamic", "tiers": [{"cut_ms": 2000, "raise_bp": 500}, ` +
			`{"cut_ms": 5000, "raise_bp": 1000}], "floor_ms": 10000}`),
		ProxyState: json.RawMessage(`{"high_seq": 7, "last_seq": 9, "proxies": ` +
			`[{"max": 15000, "seq": 5, "bidder_id": "u1", "received_at": "2026-12-05T01:02:03.000004Z"}], ` +
			`"bid_count": 3, "live_since": "2026-12-05T01:02:03.000004Z"}`)}
	lot, err := LotFromStorage(stored)
	if err != nil {
		t.Fatal(err)
	}
	if want := (auction.Increments{{From: 0, Step: 50}, {From: 1_000, Step: 100}}); !reflect.DeepEqual(lot.Increments, want) {
		t.Errorf("increments %+v, want %+v", lot.Increments, want)
	}
	if want := []auction.Tier{{RaiseBP: 500, CutMS: 2_000}, {RaiseBP: 1_000, CutMS: 5_000}}; !reflect.DeepEqual(lot.Clock.Tiers, want) {
		t.Errorf("tiers %+v, want %+v", lot.Clock.Tiers, want)
	}
	st, err := StateFromStorage("r1", stored, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []auction.ProxyMax{{BidderID: "u1", Max: 15_000, Seq: 5, ReceivedAt: at}}
	if !reflect.DeepEqual(st.Proxies, want) || st.HighSeq != 7 || st.BidCount != 3 || st.LastSeq != 9 || !st.LiveSince.Equal(at) {
		t.Errorf("state %+v, want proxies %+v, high_seq 7, bid_count 3, last_seq 9, live since %v", st, want, at)
	}

	bare := storage.Lot{ID: "l2", Currency: "KRW", OpeningPrice: 10_000, DurationMS: 60_000, State: "pending",
		IncrementTable: json.RawMessage(`[]`), ClockPolicy: json.RawMessage(`{"kind": "dynamic", "floor_ms": 10000}`),
		ProxyState: json.RawMessage(`[]`)}
	lot, err = LotFromStorage(bare)
	if err != nil {
		t.Fatal(err)
	}
	if lot.Increments != nil || lot.Clock.Tiers != nil {
		t.Errorf("a lot without table or tiers: increments %v, tiers %v, want nil (the defaults)", lot.Increments, lot.Clock.Tiers)
	}
	if st, err = StateFromStorage("r1", bare, nil); err != nil || st.Proxies != nil {
		t.Errorf("a lot without proxies: %v, %v, want none", st.Proxies, err)
	}
}
