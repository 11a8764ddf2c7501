package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/sfu"
	"github.com/bidcast/bidcast/signaling"
)

// gatewayMedia lets the WebSocket gateway drive the SFU: SDP offers and
// answers and trickled ICE candidates travel over the room's WebSocket.
// The gateway has already checked that the room is live and that a
// publisher is its seller.
type gatewayMedia struct{ srv *sfu.Server }

var _ signaling.Media = gatewayMedia{}

// Publish implements signaling.Media.
func (m gatewayMedia) Publish(ctx context.Context, roomID string, _ signaling.Identity, offerSDP string,
	peer signaling.MediaPeer) (signaling.MediaAnswer, error) {
	return m.open(ctx, roomID, offerSDP, peer, m.srv.Publish)
}

// Subscribe implements signaling.Media.
func (m gatewayMedia) Subscribe(ctx context.Context, roomID string, _ signaling.Identity, offerSDP string,
	peer signaling.MediaPeer) (signaling.MediaAnswer, error) {
	return m.open(ctx, roomID, offerSDP, peer, m.srv.Subscribe)
}

type openFunc func(ctx context.Context, roomID, offerSDP string, opts ...sfu.SessionOption) (string, string, error)

func (m gatewayMedia) open(ctx context.Context, roomID, offerSDP string, peer signaling.MediaPeer,
	open openFunc) (signaling.MediaAnswer, error) {
	// The session ID is known only when open returns, but candidates can
	// be found before: they wait on this channel until it is.
	idc := make(chan string, 1)
	var sessionID string
	onCandidate := func(c webrtc.ICECandidateInit) {
		if sessionID == "" {
			sessionID = <-idc
		}
		b, err := json.Marshal(c)
		if err == nil {
			peer.Candidate(sessionID, string(b))
		}
	}
	answer, id, err := open(ctx, roomID, offerSDP, sfu.WithICECandidateHandler(onCandidate))
	if err != nil {
		close(idc)
		return signaling.MediaAnswer{}, mediaError(err)
	}
	idc <- id
	return signaling.MediaAnswer{SessionID: id, SDP: answer}, nil
}

// Answer implements signaling.Media. The SFU never starts a renegotiation,
// so there is never an offer of ours to answer.
func (m gatewayMedia) Answer(context.Context, string, string) error {
	return signaling.Errorf(signaling.CodeConflict, "no server offer is waiting for an answer")
}

// AddICECandidate implements signaling.Media.
func (m gatewayMedia) AddICECandidate(_ context.Context, sessionID, candidateJSON string) error {
	var c webrtc.ICECandidateInit
	if err := json.Unmarshal([]byte(candidateJSON), &c); err != nil {
		return signaling.Errorf(signaling.CodeBadRequest, "candidate must be an RTCIceCandidateInit in JSON")
	}
	return mediaError(m.srv.AddICECandidate(sessionID, c))
}

// Close implements signaling.Media.
func (m gatewayMedia) Close(_ context.Context, sessionID string) error {
	if err := m.srv.CloseSession(sessionID); err != nil && !errors.Is(err, sfu.ErrSessionNotFound) {
		return mediaError(err)
	}
	return nil
}

// mediaError maps the SFU's errors to the gateway's stable codes.
func mediaError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sfu.ErrBadOffer), errors.Is(err, sfu.ErrCodecMismatch):
		return signaling.Errorf(signaling.CodeBadRequest, err.Error())
	case errors.Is(err, sfu.ErrNotLive), errors.Is(err, sfu.ErrRoomNotFound):
		return signaling.Errorf(signaling.CodeConflict, "the seller is not broadcasting yet; try again shortly")
	case errors.Is(err, sfu.ErrPublisherExists):
		return signaling.Errorf(signaling.CodeConflict, "this room already has a broadcaster")
	case errors.Is(err, sfu.ErrTooManySessions):
		return signaling.Errorf(signaling.CodeConflict, "the media server is full")
	case errors.Is(err, sfu.ErrSessionNotFound):
		return signaling.Errorf(signaling.CodeUnknownSession, "no such media session")
	case errors.Is(err, sfu.ErrClosed):
		return signaling.Errorf(signaling.CodeUnavailable, "the media server is shutting down")
	}
	return err
}
