package signaling

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/sfu"
)

// SFUMedia is Media on this process's SFU: SDP offers and answers and
// trickled ICE candidates travel over the room's WebSocket. The gateway has
// already checked that the room is live and that a publisher is its seller;
// SFUMedia only translates: the SFU's errors into the protocol's codes, and
// candidates found before the session has an ID held back until it has one.
type SFUMedia struct{ SFU *sfu.Server }

var _ Media = SFUMedia{}

// Publish implements Media.
func (m SFUMedia) Publish(ctx context.Context, roomID string, _ Identity, offerSDP string,
	peer MediaPeer) (MediaAnswer, error) {
	return m.open(ctx, roomID, offerSDP, peer, m.SFU.Publish)
}

// Subscribe implements Media.
func (m SFUMedia) Subscribe(ctx context.Context, roomID string, _ Identity, offerSDP string,
	peer MediaPeer) (MediaAnswer, error) {
	return m.open(ctx, roomID, offerSDP, peer, m.SFU.Subscribe)
}

// openFunc is sfu.Server.Publish or Subscribe.
type openFunc func(ctx context.Context, roomID, offerSDP string, opts ...sfu.SessionOption) (string, string, error)

func (m SFUMedia) open(ctx context.Context, roomID, offerSDP string, peer MediaPeer,
	open openFunc) (MediaAnswer, error) {
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
		return MediaAnswer{}, mediaError(err)
	}
	idc <- id
	return MediaAnswer{SessionID: id, SDP: answer}, nil
}

// Answer implements Media. The SFU never starts a renegotiation,
// so there is never an offer of ours to answer.
func (m SFUMedia) Answer(context.Context, string, string) error {
	return Errorf(CodeConflict, "no server offer is waiting for an answer")
}

// AddICECandidate implements Media.
func (m SFUMedia) AddICECandidate(_ context.Context, sessionID, candidateJSON string) error {
	var c webrtc.ICECandidateInit
	if err := json.Unmarshal([]byte(candidateJSON), &c); err != nil {
		return Errorf(CodeBadRequest, "candidate must be an RTCIceCandidateInit in JSON")
	}
	return mediaError(m.SFU.AddICECandidate(sessionID, c))
}

// Close implements Media.
func (m SFUMedia) Close(_ context.Context, sessionID string) error {
	if err := m.SFU.CloseSession(sessionID); err != nil && !errors.Is(err, sfu.ErrSessionNotFound) {
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
		return Errorf(CodeBadRequest, err.Error())
	case errors.Is(err, sfu.ErrNotLive), errors.Is(err, sfu.ErrRoomNotFound):
		return Errorf(CodeConflict, "the seller is not broadcasting yet; try again shortly")
	case errors.Is(err, sfu.ErrPublisherExists):
		return Errorf(CodeConflict, "this room already has a broadcaster")
	case errors.Is(err, sfu.ErrTooManySessions):
		return Errorf(CodeConflict, "the media server is full")
	case errors.Is(err, sfu.ErrSessionNotFound):
		return Errorf(CodeUnknownSession, "no such media session")
	case errors.Is(err, sfu.ErrClosed):
		return Errorf(CodeUnavailable, "the media server is shutting down")
	}
	return err
}

// ICEServers implements Media: the SFU's configured servers and, with its
// TURN settings, a TURN credential minted for this call.
func (m SFUMedia) ICEServers(context.Context, string, Identity) ([]ICEServer, error) {
	servers := m.SFU.ICEServers()
	out := make([]ICEServer, 0, len(servers))
	for _, s := range servers {
		out = append(out, ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out, nil
}
