package sfu

import (
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// room is one live show: at most one publisher and any number of viewers.
// Membership (publisher, viewers) is guarded by Server.mu; media state lives
// in the two feeds.
type room struct {
	id          string
	video       *feed
	audio       *feed
	publisher   *session
	liveSince   time.Time // when the current publisher joined
	subscribers map[string]*session
}

func newRoom(srv *Server, id string) *room {
	return &room{
		id:          id,
		video:       newFeed(srv, webrtc.RTPCodecTypeVideo),
		audio:       newFeed(srv, webrtc.RTPCodecTypeAudio),
		subscribers: map[string]*session{},
	}
}

func (r *room) feed(kind webrtc.RTPCodecType) *feed {
	if kind == webrtc.RTPCodecTypeAudio {
		return r.audio
	}
	return r.video
}

// roomLocked returns the room, creating it. Callers hold srv.mu.
func (srv *Server) roomLocked(id string) *room {
	r, ok := srv.rooms[id]
	if !ok {
		r = newRoom(srv, id)
		srv.rooms[id] = r
	}
	return r
}

// addSessionLocked registers s, enforcing one publisher per room and the
// caps, which count viewers and publishers apart so that viewers can never
// take the seats of sellers.
func (srv *Server) addSessionLocked(s *session) error {
	if srv.closed {
		return ErrClosed
	}
	r := s.room
	if s.publish {
		if r.publisher != nil {
			return ErrPublisherExists
		}
		if srv.publishers >= srv.cfg.MaxPublishers {
			return fmt.Errorf("%w: %d rooms are live, the most this server takes", ErrTooManySessions, srv.publishers)
		}
		r.publisher = s
		r.liveSince = time.Now()
		srv.publishers++
	} else {
		if srv.viewers >= srv.cfg.MaxViewers {
			return fmt.Errorf("%w: %d viewers are watching, the most this server takes", ErrTooManySessions, srv.viewers)
		}
		r.subscribers[s.id] = s
		srv.viewers++
	}
	srv.sessions[s.id] = s
	return nil
}

// removeSession forgets s and drops its room once nobody is left in it.
func (srv *Server) removeSession(s *session) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if _, ok := srv.sessions[s.id]; !ok {
		return // never added, or already removed
	}
	delete(srv.sessions, s.id)
	r := s.room
	if s.publish {
		srv.publishers--
		if r.publisher == s {
			r.publisher = nil
		}
	} else {
		srv.viewers--
		delete(r.subscribers, s.id)
	}
	if r.publisher == nil && len(r.subscribers) == 0 && srv.rooms[r.id] == r {
		delete(srv.rooms, r.id)
	}
}

// Live reports whether roomID has a publisher.
func (srv *Server) Live(roomID string) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	r, ok := srv.rooms[roomID]
	return ok && r.publisher != nil
}
