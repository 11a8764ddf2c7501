package signaling

import (
	"context"
	"errors"
	"testing"
)

// fixedPlacer places every viewer at url, or fails.
type fixedPlacer struct {
	url string
	err error
}

func (p fixedPlacer) Place(context.Context, string) (string, error) { return p.url, p.err }

// TestJoinNamesTheMediaNode: in a cluster the join ack carries the WHEP
// endpoint of the node the viewer is best placed on; without a cluster, or
// when placement fails, it carries none (every node serves every room).
func TestJoinNamesTheMediaNode(t *testing.T) {
	e := newEnv(t)
	room := e.newRoom("live")
	for _, tc := range []struct {
		name   string
		placer MediaPlacer
		want   string
	}{
		{"single node", nil, ""},
		{"here", fixedPlacer{}, ""},
		{"another node", fixedPlacer{url: "http://node-b:8080/whep/" + room.ID}, "http://node-b:8080/whep/" + room.ID},
		{"registry down", fixedPlacer{err: errors.New("redis down")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := e.gatewayWith(nil, func(d *Deps) { d.Placer = tc.placer })
			c := dial(t, srv, "viewer")
			c.send(TypeJoin, JoinData{RoomID: room.ID})
			c.expect(TypeSnapshot)
			ack := decodeAs[JoinAckData](t, c.expect(TypeAck))
			if ack.MediaURL != tc.want {
				t.Fatalf("media_url = %q, want %q", ack.MediaURL, tc.want)
			}
		})
	}
}
