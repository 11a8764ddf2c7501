package signaling

import (
	"context"
	"fmt"
)

// Media is the SFU as the gateway drives it over the WebSocket: the client
// sends an SDP offer, gets an answer, and both sides trickle ICE candidates.
// The sfu package implements it; when the gateway has none, media messages
// are answered with media_unavailable.
//
// Sessions belong to the connection that opened them: the gateway passes
// only session IDs it got from Publish or Subscribe on that connection, and
// closes them all when the connection ends.
type Media interface {
	// Publish starts the seller's upstream in roomID from an SDP offer and
	// returns the answer. peer receives the server's ICE candidates and any
	// later offer (renegotiation) for this session.
	Publish(ctx context.Context, roomID string, from Identity, offerSDP string, peer MediaPeer) (MediaAnswer, error)
	// Subscribe starts a viewer's downstream of roomID from an SDP offer.
	Subscribe(ctx context.Context, roomID string, from Identity, offerSDP string, peer MediaPeer) (MediaAnswer, error)
	// Answer completes a server-initiated renegotiation (after
	// MediaPeer.Offer) with the client's SDP answer.
	Answer(ctx context.Context, sessionID, answerSDP string) error
	// AddICECandidate adds a remote candidate (RTCIceCandidateInit JSON).
	AddICECandidate(ctx context.Context, sessionID, candidateJSON string) error
	// Close ends a session; closing an unknown or closed one is not an error.
	Close(ctx context.Context, sessionID string) error
	// ICEServers returns the STUN/TURN servers for a client of roomID
	// about to publish or watch, with TURN credentials minted for it. The
	// gateway asks only for a connection that may watch the live room.
	ICEServers(ctx context.Context, roomID string, from Identity) ([]ICEServer, error)
}

// MediaAnswer is the result of Publish and Subscribe.
type MediaAnswer struct {
	SessionID string
	SDP       string
}

// MediaPeer is how the SFU reaches the client of a session. Its methods
// never block: they queue a message on the connection (or drop it if the
// connection is gone) and may be called from any goroutine.
type MediaPeer interface {
	// Candidate sends a local ICE candidate (RTCIceCandidateInit JSON);
	// an empty string means end of candidates.
	Candidate(sessionID, candidateJSON string)
	// Offer sends a server-initiated offer; the client replies with
	// media.answer.
	Offer(sessionID, sdp string)
}

// mediaPeer is the connection as a MediaPeer.
type mediaPeer struct{ c *conn }

func (p mediaPeer) Candidate(sessionID, candidateJSON string) {
	p.c.send(encode(TypeMediaCandidate, "", 0, MediaData{SessionID: sessionID, Candidate: candidateJSON}))
}

func (p mediaPeer) Offer(sessionID, sdp string) {
	p.c.send(encode(TypeMediaOffer, "", 0, MediaData{SessionID: sessionID, SDP: sdp}))
}

// maxMediaSessions bounds the sessions one connection may hold open.
const maxMediaSessions = 4

// handleMedia serves the media.* messages.
func (g *Gateway) handleMedia(ctx context.Context, c *conn, env Envelope) error {
	if g.media == nil {
		return Errorf(CodeMediaUnavailable, "this server has no media service")
	}
	var d MediaData
	if err := decodeData(env, &d); err != nil {
		return err
	}
	switch env.Type {
	case TypeMediaPublish, TypeMediaSubscribe:
		return g.openMedia(ctx, c, env, d)
	}
	if !c.hasSession(d.SessionID) {
		return Errorf(CodeUnknownSession, "no such media session on this connection")
	}
	if env.Type != TypeMediaClose {
		// The right to watch is checked on every media request, not only
		// when the session opened: a room made private since then, or a
		// ban, ends what the connection may do with it.
		if err := g.mayStillWatch(ctx, c); err != nil {
			return err
		}
	}
	var err error
	switch env.Type {
	case TypeMediaAnswer:
		if d.SDP == "" {
			return Errorf(CodeBadRequest, "sdp is required")
		}
		err = g.media.Answer(ctx, d.SessionID, d.SDP)
	case TypeMediaCandidate:
		err = g.media.AddICECandidate(ctx, d.SessionID, d.Candidate)
	case TypeMediaClose:
		c.dropSession(d.SessionID)
		err = g.media.Close(ctx, d.SessionID)
	}
	if err != nil {
		return err
	}
	c.send(encode(TypeAck, env.ID, 0, AckData{}))
	return nil
}

// openMedia handles media.publish (the room's seller only) and
// media.subscribe (anyone joined to a live room who may watch it).
func (g *Gateway) openMedia(ctx context.Context, c *conn, env Envelope, d MediaData) error {
	roomID := c.room()
	if roomID == "" {
		return Errorf(CodeNotJoined, "join a room first")
	}
	if d.SDP == "" {
		return Errorf(CodeBadRequest, "sdp is required")
	}
	room, err := g.rooms.live(ctx, roomID)
	if err != nil {
		return err
	}
	if err := g.checkView(ctx, c.id, room, c.token()); err != nil {
		return err
	}
	if c.sessionCount() >= maxMediaSessions {
		return Errorf(CodeConflict, fmt.Sprintf("at most %d media sessions per connection", maxMediaSessions))
	}
	var ans MediaAnswer
	if env.Type == TypeMediaPublish {
		// Not stillSellerOf alone: an admin may run anyone's show but never
		// send its stream, the same rule as WHIP (auth.Service.CanPublish).
		if c.id.UserID != room.SellerID || !g.stillSellerOf(ctx, c, room) {
			return Errorf(CodeForbidden, "only the room's seller may publish")
		}
		ans, err = g.media.Publish(ctx, roomID, c.id, d.SDP, mediaPeer{c})
	} else {
		ans, err = g.media.Subscribe(ctx, roomID, c.id, d.SDP, mediaPeer{c})
	}
	if err != nil {
		return err
	}
	c.addSession(ans.SessionID)
	c.send(encode(TypeMediaAnswer, env.ID, 0, MediaData{SessionID: ans.SessionID, SDP: ans.SDP}))
	return nil
}
