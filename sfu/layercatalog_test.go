package sfu

import (
	"net/url"
	"slices"
	"testing"

	"github.com/pion/webrtc/v4"
)

func TestParseLayers(t *testing.T) {
	tests := []struct {
		in   string
		want []layerInfo
	}{
		{"q;bitrate=150000, h;bitrate=500000, f;bitrate=1500000",
			[]layerInfo{{"q", 150_000}, {"h", 500_000}, {"f", 1_500_000}}},
		{"q;bitrate=0,f", []layerInfo{{"q", 0}, {"f", 0}}},
		{" low ; bitrate=1 ,  hi_2;bitrate=2", []layerInfo{{"low", 1}, {"hi_2", 2}}},
		{"", nil},
		{"q;bitrate=1", nil},                   // one layer: nothing to choose
		{"q;bitrate=1, q;bitrate=2", nil},      // a RID twice
		{"q;bitrate=x, f;bitrate=2", nil},      // not a number
		{"q;bitrate=-1, f;bitrate=2", nil},     // negative
		{"q;rate=1, f;bitrate=2", nil},         // unknown parameter
		{"q;bitrate=1, ;bitrate=2", nil},       // empty RID
		{"q;bitrate=1, f g;bitrate=2", nil},    // not a RID
		{"a,b,c,d,e,f,g,h,i", nil},             // more than maxCatalogLayers
		{"q;bitrate=1, f;bitrate=2,", nil},     // trailing comma: an empty RID
		{"q;bitrate=1, f;bitrate=2\r\nX", nil}, // header injection is not a RID
	}
	for _, tc := range tests {
		if got := parseLayers(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("parseLayers(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	ls := []layerInfo{{"q", 150_000}, {"h", 0}, {"f", 1_500_000}}
	if got := parseLayers(formatLayers(ls)); !slices.Equal(got, ls) {
		t.Fatalf("round trip: %v", got)
	}
}

// FuzzParseLayers: any header yields nil or a list that is well formed and
// survives a round trip.
func FuzzParseLayers(f *testing.F) {
	for _, s := range []string{"q;bitrate=150000, h;bitrate=500000, f;bitrate=1500000", "q,f", "", "a;bitrate=1,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ls := parseLayers(s)
		if ls == nil {
			return
		}
		if len(ls) < 2 || len(ls) > maxCatalogLayers {
			t.Fatalf("%q: %d layers", s, len(ls))
		}
		for _, l := range ls {
			if !validRID(l.rid) {
				t.Fatalf("%q: bad RID %q", s, l.rid)
			}
		}
		if got := parseLayers(formatLayers(ls)); !slices.Equal(got, ls) {
			t.Fatalf("%q: round trip %v, want %v", s, got, ls)
		}
	})
}

// TestChooseIndexAgreesWithChooseLayer: the relay's choice among the
// origin's layers (by bitrate alone) is the edge's choice among the same
// layers, so a layer the relay fetches is the one the viewer then takes.
func TestChooseIndexAgreesWithChooseLayer(t *testing.T) {
	rates := []uint64{150_000, 0, 1_500_000}
	layers := make([]*pubTrack, len(rates))
	for i, r := range rates {
		layers[i] = &pubTrack{rid: string(rune('a' + i))}
		layers[i].st.bitrate.Store(r)
	}
	for _, est := range []uint64{0, 1, 100_000, 176_470, 600_000, 1_700_000, 1_800_000, 50_000_000} {
		if i, l := chooseIndex(rates, est), chooseLayer(layers, est); layers[i] != l {
			t.Errorf("estimate %d: index %d, chooseLayer %s", est, i, l.rid)
		}
	}
	if chooseIndex(nil, 1) != -1 {
		t.Fatal("an index from nothing")
	}
}

func TestPinnedLayer(t *testing.T) {
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	mk := func(rid string, bps uint64) *pubTrack {
		l := &pubTrack{rid: rid, codec: vp8}
		l.st.bitrate.Store(bps)
		return l
	}
	q, h, f := mk("q", 100_000), mk("h", 300_000), mk("f", 900_000)
	all := []*pubTrack{q, h, f}
	est := &fakeEstimator{}
	est.bps.Store(1) // would choose q
	tests := []struct {
		name   string
		pin    *layerPin
		layers []*pubTrack
		want   *pubTrack
	}{
		{"by estimate", nil, all, q},
		{"lowest", &layerPin{lowest: true}, all, q},
		{"named", &layerPin{rid: "f"}, all, f},
		{"named, gone: the lowest until it returns", &layerPin{rid: "f"}, []*pubTrack{q, h}, q},
		{"nothing", &layerPin{rid: "f"}, nil, nil},
	}
	for _, tc := range tests {
		d := &downTrack{codec: vp8, est: est, pin: tc.pin}
		if got := d.choose(tc.layers); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, ridOf(got), ridOf(tc.want))
		}
	}
	for q, want := range map[string]layerPin{"": {lowest: true}, "layer=h": {rid: "h"}, "layer=": {rid: ""}} {
		v, _ := url.ParseQuery(q)
		if got := relayPin(v); *got != want {
			t.Errorf("relayPin(%q) = %+v, want %+v", q, *got, want)
		}
	}
}

func ridOf(t *pubTrack) string {
	if t == nil {
		return "none"
	}
	return t.rid
}

// TestRelayedLayersKeepTheOriginsOrder: relayed layers, which arrive over
// separate peers, are ordered by the origin's rank even when a short sample
// of their bitrates says otherwise; a local publisher's by bitrate.
func TestRelayedLayersKeepTheOriginsOrder(t *testing.T) {
	mk := func(rid string, rank int, bps uint64) *pubTrack {
		l := &pubTrack{rid: rid, relayRank: rank}
		l.st.bitrate.Store(bps)
		return l
	}
	q, f := mk("q", 1, 500_000), mk("f", 2, 400_000) // f's sample came up short
	ls := []*pubTrack{f, q}
	sortLayers(ls)
	if ls[0] != q {
		t.Fatalf("relayed: %s before %s", ls[0].rid, ls[1].rid)
	}
	q.relayRank, f.relayRank = 0, 0
	sortLayers(ls)
	if ls[0] != f {
		t.Fatalf("local: %s before %s", ls[0].rid, ls[1].rid)
	}
}
