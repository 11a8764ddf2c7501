package sfu

import (
	"context"
	"time"
)

// A publisher that vanishes without a goodbye (a phone that lost its
// network, a frozen encoder) keeps its session here until ICE gives up on
// it, ten seconds and more. If the seller meanwhile publishes on another
// node, both nodes call themselves the room's origin (the record flips at
// each heartbeat) and this node's viewers watch the silent session. So in
// a cluster each publisher is watched: once it has sent media and then
// nothing for supersedeAfter, and the cluster names another node as the
// room's origin, it has been superseded, and its session ends here. The
// viewers left here then follow the room (followPublisher). A publisher
// that has not sent anything yet (still connecting) is never judged, so a
// stale record cannot push a newcomer out.

// supersedeAfter is how long a publisher that sent media must be silent
// before another node's claim on the room ends its session.
const supersedeAfter = time.Second

// watchOrigin starts the watch of publisher s of roomID, in a cluster with
// relaying on; it ends with the session or the server.
func (srv *Server) watchOrigin(s *session, roomID string) {
	l := srv.link()
	if l == nil || l.c.RelayToken(roomID) == "" {
		return
	}
	srv.mu.Lock()
	if srv.closed {
		srv.mu.Unlock()
		return
	}
	srv.wg.Add(1)
	srv.mu.Unlock()
	go func() {
		defer srv.wg.Done()
		t := time.NewTicker(relayTick)
		defer t.Stop()
		var seen uint64
		var lastMedia, lastAsk time.Time
		for {
			select {
			case <-srv.done:
				return
			case <-t.C:
			}
			if !srv.hasSession(s.id) {
				return
			}
			now := time.Now()
			if n := s.packetsIn(); n != seen {
				seen, lastMedia = n, now
				continue
			}
			if lastMedia.IsZero() || now.Sub(lastMedia) < supersedeAfter || now.Sub(lastAsk) < time.Second {
				continue
			}
			lastAsk = now // the cluster is asked once a second while the silence lasts
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			other, ok, err := l.c.Locate(ctx, roomID)
			cancel()
			if err == nil && ok {
				srv.log.Info("sfu publisher superseded: silent here, the room is published on another node",
					"room", roomID, "session", s.id, "silent", now.Sub(lastMedia).Round(time.Millisecond), "origin", other)
				s.close()
				return
			}
		}
	}()
}

// packetsIn is the number of RTP packets a publisher's tracks received.
func (s *session) packetsIn() uint64 {
	var n uint64
	for _, t := range s.pubTracks() {
		n += t.st.packets.Load()
	}
	return n
}
