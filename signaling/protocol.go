package signaling

import (
	"encoding/json"
	"fmt"
)

// Version is the protocol version this gateway speaks; every envelope
// carries it as "v".
const Version = 1

// Envelope is every message in both directions:
// {"v":1,"type":...,"id":...,"seq":...,"data":...}.
type Envelope struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	// ID is the client's correlation ID, echoed in the ack or error that
	// answers the request. Servers never set it on unsolicited messages.
	ID string `json:"id,omitempty"`
	// Seq is the room event sequence number on relayed room events (and the
	// snapshot's position on room.snapshot); zero and omitted otherwise.
	Seq  int64           `json:"seq,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Client → server message types.
const (
	TypeJoin           = "join"
	TypeLeave          = "leave"
	TypeChatSend       = "chat.send"
	TypeBidPlace       = "bid.place"
	TypeBidMax         = "bid.max"
	TypeLotStart       = "lot.start"
	TypeLotPause       = "lot.pause"
	TypeLotResume      = "lot.resume"
	TypeLotEnd         = "lot.end"
	TypeLotSkip        = "lot.skip"
	TypeLotRelist      = "lot.relist"
	TypeModMute        = "mod.mute"
	TypeModBan         = "mod.ban"
	TypeModSlow        = "mod.slow"
	TypeChatDelete     = "chat.delete"
	TypeTimeSync       = "time.sync"
	TypeMediaPublish   = "media.publish"
	TypeMediaSubscribe = "media.subscribe"
	TypeMediaAnswer    = "media.answer"
	TypeMediaCandidate = "media.candidate"
	TypeMediaClose     = "media.close"
	TypeMediaICE       = "media.ice"
)

// Server → client message types of the gateway's own. Room events keep the
// type their publisher gave them (lot.started, bid.accepted, clock, ...).
const (
	TypeSnapshot    = "room.snapshot"
	TypeChatMessage = "chat.message"
	TypeChatDeleted = "chat.deleted"
	TypeViewers     = "viewers"
	TypeAck         = "ack"
	TypeError       = "error"
	TypeMediaOffer  = "media.offer"
	// TypeMediaAnswer and TypeMediaCandidate are also sent by the server.

	// TypeRoomEvents carries several room events in one message
	// (RoomEventsData). Under load the gateway merges a burst of events
	// into one such list instead of sending one message per event; clients
	// handle its events in order, exactly as if each had come alone.
	TypeRoomEvents = "room.events"
)

// RoomEventsData is the data of room.events: complete room event envelopes
// (each with its own type, seq and data), in seq order. The list's own
// envelope seq is the seq of its last event.
type RoomEventsData struct {
	Events []Envelope `json:"events"`
}

// Unpack returns the messages env stands for: the events of a room.events
// list, in order, or env itself. Go clients (the load tester, tests) read
// every server message through it.
func Unpack(env Envelope) ([]Envelope, error) {
	if env.Type != TypeRoomEvents {
		return []Envelope{env}, nil
	}
	var d RoomEventsData
	if err := json.Unmarshal(env.Data, &d); err != nil {
		return nil, fmt.Errorf("decode %s: %w", TypeRoomEvents, err)
	}
	return d.Events, nil
}

// JoinData is the data of join.
type JoinData struct {
	RoomID string `json:"room_id"`
	// ResumeFrom is the seq of the last room event the client saw; the
	// server replays what came after, or sends a snapshot if that is gone.
	ResumeFrom int64 `json:"resume_from,omitempty"`
	// ViewerToken is an invitation to a private room (from POST
	// /auth/rooms/{id}/viewer-token); public rooms, their seller and
	// admins need none.
	ViewerToken string `json:"viewer_token,omitempty"`
}

// ChatSendData is the data of chat.send.
type ChatSendData struct {
	Text string `json:"text"`
}

// BidData is the data of bid.place and bid.max. Amount is in minor units.
type BidData struct {
	LotID    string `json:"lot_id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	BidID    string `json:"bid_id"`
}

// LotData is the data of lot.start and lot.relist (and optionally of the
// other lot commands, which act on the live lot).
type LotData struct {
	LotID string `json:"lot_id,omitempty"`
}

// ModerationData is the data of mod.mute, mod.ban, mod.slow and chat.delete.
// mod.mute and mod.ban name their target by user_id or, as pages do, by
// the message_id of one of the user's recent chat messages.
type ModerationData struct {
	UserID    string `json:"user_id,omitempty"`
	Seconds   int    `json:"seconds,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

// TimeSyncData is the data of time.sync both ways. Times are Unix
// milliseconds. The client sends client_time (t0); the server echoes it and
// adds server_time, taken as it answers. With t3 the client's receive time,
// offset ≈ server_time − (t0 + t3)/2 and round trip = t3 − t0.
type TimeSyncData struct {
	ClientTime int64 `json:"client_time"`
	ServerTime int64 `json:"server_time,omitempty"`
}

// MediaData is the data of the media.* messages both ways.
type MediaData struct {
	SessionID string `json:"session_id,omitempty"`
	SDP       string `json:"sdp,omitempty"`
	// Candidate is an RTCIceCandidateInit as JSON text; empty in a
	// server-sent media.candidate means end of candidates.
	Candidate string `json:"candidate,omitempty"`
}

// ICEServer is a STUN or TURN server for the client's RTCPeerConnection,
// in the shape of WebRTC's RTCIceServer. A TURN server's username and
// credential are minted for the asking connection and expire (the
// server's SFU_TURN_TTL): ask again before each new peer connection.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// ICEAckData is the data of the ack that answers media.ice.
type ICEAckData struct {
	// ICEServers are the servers to give RTCPeerConnection, possibly none
	// (then host candidates, and ICE-TCP where the server offers it, must
	// do).
	ICEServers []ICEServer `json:"ice_servers"`
}

// AckData is the data of ack: which fields are set depends on the request.
type AckData struct {
	// Seq is the ingress seq of a bid, the event seq of a chat message, or
	// the room position after a join.
	Seq int64 `json:"seq,omitempty"`
	// Status is a bid's outcome so far: pending, accepted or rejected.
	Status    string `json:"status,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Reason    string `json:"reason,omitempty"`
	BidID     string `json:"bid_id,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	RoomID    string `json:"room_id,omitempty"`
}

// JoinAckData is the data of the ack that answers join.
type JoinAckData struct {
	RoomID string `json:"room_id"`
	// Seq is the room position the connection is at: live events follow
	// with greater numbers.
	Seq int64 `json:"seq"`
	// Resumed is true when the join replayed missed events, false when it
	// sent a snapshot; always present.
	Resumed bool `json:"resumed"`
	// MediaURL, in a cluster, is the WHEP endpoint of the room on the node
	// the viewer is best placed on, when that is another node; absent when
	// this node is the one (always, on a single node).
	MediaURL string `json:"media_url,omitempty"`
}

// ErrorData is the data of error.
type ErrorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RefID is the id of the request that failed, if it had one.
	RefID string `json:"ref_id,omitempty"`
}

// RoomView is the room as the snapshot shows it.
type RoomView struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	SellerID string `json:"seller_id"`
	Status   string `json:"status"`
}

// SnapshotData is the data of room.snapshot: everything a client needs to
// draw the room, consistent with the envelope's seq.
type SnapshotData struct {
	Room RoomView `json:"room"`
	// State is the room actor's snapshot (lot, high bid, deadline in server
	// time, ...) as last published, or null before the first one.
	State      json.RawMessage `json:"state"`
	Chat       []ChatMessage   `json:"chat"`
	Viewers    int64           `json:"viewers"`
	ServerTime int64           `json:"server_time"`
	Seq        int64           `json:"seq"`
	You        YouView         `json:"you"`
}

// YouView tells a client who the server thinks it is.
type YouView struct {
	UserID      string `json:"user_id"`
	DisplayName string `json:"display_name"`
	// Alias is how the room's events and bid history name this user as a
	// bidder (events.Aliases); empty for a connection with no user.
	Alias  string `json:"alias,omitempty"`
	Role   string `json:"role"`
	Guest  bool   `json:"guest,omitempty"`
	CanBid bool   `json:"can_bid"`
	Seller bool   `json:"seller"`
}

// ChatMessage is the data of a chat.message event and an entry of the
// snapshot's recent chat. It names its author by display name only: a user
// ID would let viewers tie chat names to the bidders of the bid history.
// Moderators name a message's author by its message_id (mod.mute, mod.ban).
type ChatMessage struct {
	MessageID   string `json:"message_id"`
	DisplayName string `json:"display_name"`
	// Seller marks a message from the room's seller (or an admin).
	Seller bool   `json:"seller,omitempty"`
	Text   string `json:"text"`
	At     int64  `json:"at"`
	Seq    int64  `json:"seq,omitempty"`
}

// ViewersData is the data of viewers.
type ViewersData struct {
	Count int64 `json:"count"`
}
