package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bidcast/bidcast/sfu"
	"github.com/bidcast/bidcast/storage"
)

// fakeRooms answers Get from a map; a missing room is an error.
type fakeRooms struct {
	mu     sync.Mutex
	public map[string]bool
	asks   int
}

func (f *fakeRooms) Get(_ context.Context, id string) (storage.Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asks++
	pub, ok := f.public[id]
	if !ok {
		return storage.Room{}, errors.New("database down")
	}
	return storage.Room{ID: id, Public: pub}, nil
}

type fakeStats []sfu.RoomStats

func (f fakeStats) Stats() []sfu.RoomStats { return f }

// TestRoomLabelsNeverNamePrivateRooms: a public room is labelled by its id;
// a private room, and one that cannot be read, by a stable pseudonym.
func TestRoomLabelsNeverNamePrivateRooms(t *testing.T) {
	rooms := &fakeRooms{public: map[string]bool{"open": true, "vip": false}}
	l := NewRoomLabels(rooms)
	if got := l.Label("open"); got != "open" {
		t.Errorf("public room: %q", got)
	}
	vip := l.Label("vip")
	if !strings.HasPrefix(vip, "private-") || strings.Contains(vip, "vip") || l.Label("vip") != vip {
		t.Errorf("private room: %q, then %q", vip, l.Label("vip"))
	}
	if got := l.Label("unreadable"); !strings.HasPrefix(got, "private-") {
		t.Errorf("unreadable room: %q, want a pseudonym (fail closed)", got)
	}
	asks := rooms.asks
	l.Label("open")
	if rooms.asks != asks {
		t.Error("a cached label was asked for again")
	}
	if NewRoomLabels(rooms).Label("vip") == vip {
		t.Error("two processes' pseudonyms agree: the key is not per process")
	}
}

// TestSFUCollectorSeries: publisher tracks get series per room, kind and
// layer; viewers are summed per room; rooms are named by the labeller.
func TestSFUCollectorSeries(t *testing.T) {
	stats := fakeStats{{
		RoomID:    "r1",
		Publisher: &sfu.PublisherStats{Tracks: []sfu.TrackStats{{Kind: "video", RID: "h", Packets: 7}}},
		Subscribers: []sfu.SubscriberStats{
			{Tracks: []sfu.DownTrackStats{{Kind: "video", BitrateBps: 100, RTT: 20 * time.Millisecond}}},
			{Tracks: []sfu.DownTrackStats{{Kind: "video", BitrateBps: 50, RTT: 40 * time.Millisecond}}},
		},
	}}
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewSFUCollector(stats, func(id string) string { return "label-" + id }))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, lp.GetName()+"="+lp.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			got[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	for name, want := range map[string]float64{
		"bidcast_sfu_publisher_packets_total{kind=video,layer=h,room=label-r1}": 7,
		"bidcast_sfu_subscribers{room=label-r1}":                                2,
		"bidcast_sfu_subscriber_bitrate_bps{room=label-r1}":                     150,
		"bidcast_sfu_subscriber_rtt_max_seconds{room=label-r1}":                 0.04,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v (have %v)", name, got[name], want, got)
		}
	}
}

// TestPublicNeedsTheToken: without a token the public /metrics does not
// exist; with one, only requests bearing it are served.
func TestPublicNeedsTheToken(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, tc := range []struct{ token, auth string }{
		{"", ""}, {"", "Bearer "}, {"0123456789abcdef", ""}, {"0123456789abcdef", "Bearer 0123456789abcdeX"},
		{"0123456789abcdef", "Bearer 0123456789abcdef"},
	} {
		want := map[bool]int{true: http.StatusNotFound}[tc.token == ""]
		switch {
		case want != 0:
		case tc.auth == "Bearer "+tc.token:
			want = http.StatusOK
		default:
			want = http.StatusUnauthorized
		}
		r := httptest.NewRequest("GET", "/metrics", nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		w := httptest.NewRecorder()
		Public(reg, tc.token).ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("token %q, Authorization %q: %d, want %d", tc.token, tc.auth, w.Code, want)
		}
	}
}
