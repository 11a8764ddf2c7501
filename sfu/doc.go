// Package sfu is Bidcast's selective forwarding unit: it receives one seller's
// WebRTC stream per room and forwards it, without transcoding, to many viewers.
//
// # Media path
//
// Each incoming RTP track (one per simulcast layer) is read by exactly one
// goroutine (see forwarder.go). Packets are read into pooled, reference-counted
// buffers and handed to a small server-wide pool of writer goroutines
// (writer.go) through short buffered channels; subscribers are sharded across
// the writers so fan-out uses every core and a slow shard never blocks the
// reader. Each subscriber owns a downTrack (downtrack.go), a webrtc.TrackLocal
// that rewrites sequence numbers and timestamps so that publisher restarts and
// simulcast layer switches look continuous to the viewer's decoder. A
// writer's datagrams leave the shared UDP socket in sendmmsg batches
// (batch.go); where the kernel supports UDP GSO, a viewer's packets of one
// batch (typically one frame) go as one message (gso_linux.go), probed
// once at start and turned off for good if the kernel refuses it. A viewer
// whose ICE pair is UDP on the shared socket bypasses Pion's write chain:
// its packets are encrypted with an SRTP context of its own, keyed from its
// DTLS connection, straight into the batch (directsrtp.go); ICE-TCP
// viewers use Pion's chain. Sender reports to viewers are the SFU's own
// (senderreport.go).
//
// One retransmission ring per publisher track (nackbuffer.go) serves every
// subscriber's NACKs. Keyframe requests from viewers are forwarded to the
// publisher at most once per Config.PLIInterval per track. Each video track
// keeps the packets since its last keyframe (gopcache.go, bounded by
// Config.GOPCacheBytes). A joining viewer starts from them at once when the
// group is fresh; when it is old, a keyframe is requested, and the viewer
// waits for it if the publisher has proven to answer requests
// (plihistory.go), else starts from the group squeezed to the live edge (a
// publisher that ignores PLI, such as aiortc's H.264 encoder, may send a
// keyframe only every few seconds). Only a group too large to cache leaves
// such a viewer waiting for the next keyframe.
//
// # Entry points
//
// HTTP clients use WHIP (publish) and WHEP (view) through NewHTTPHandler.
// The WebSocket gateway calls the same operations as Go methods on *Server:
//
//	answer, session, err := srv.Publish(ctx, roomID, offerSDP,
//		sfu.WithICECandidateHandler(func(c webrtc.ICECandidateInit) { sendToClient(c) }),
//		sfu.WithCloseHandler(func() { tellClientStreamEnded() }))
//	// later, for each candidate the browser trickles:
//	err = srv.AddICECandidate(session, candidate)
//	// and when the browser renegotiates (e.g. adds audio):
//	answer, err = srv.Renegotiate(ctx, session, newOffer)
//	// finally:
//	srv.CloseSession(session)
//
// Without WithICECandidateHandler the answer is returned after ICE gathering
// completes, so it contains every candidate (what WHIP/WHEP expect). With it,
// the answer is returned at once and the gateway forwards each candidate to
// the browser as it is found. SessionRoom tells which room and role a session
// ID belongs to (check it before acting on a client-supplied ID) and Live
// whether a room has a publisher (the "auction guard" before a viewer joins).
//
// A viewer that arrives within 3 s of the publisher may wait until the
// publisher's first packets show which of the negotiated codecs it really
// sends. Errors are the sentinels of errors.go; HTTPHandler maps them to
// status codes once (401, 403, 404, 406, 409, 400, 429, 503).
//
// # Relay between nodes
//
// With SetCluster, a viewer of a room published on another node (the
// room's media origin) makes this node subscribe once to the origin over
// WHEP, with the cluster's relay bearer, and fan the stream out locally as
// if it were the room's publisher (relay.go): keyframe requests go up to
// the origin, throttled; NACKs are answered from this node's own ring; the
// relay follows the origin when the publisher moves, gives way to a
// publisher reaching this node, and is released a linger after its last
// viewer. A relay also starts for the viewers a departing publisher leaves
// here (they follow the room to whichever node the seller reaches next),
// and a publisher silent here gives way once another node publishes the
// room (originwatch.go). Of a simulcast publisher it carries the layers this node's
// viewers need, each in a session of its own that is released a linger
// after nobody needs it (relaylayers.go); a relay's peers use ports of
// their own, not the shared ICE port (relayapi.go). WithPlacer makes WHEP answer 307 to send a viewer to another
// node. The SFU asks a Cluster (package cluster's registry in the server)
// and never reads Redis itself. MediaLoad reports viewers, origins and
// relays for the cluster's heartbeat.
//
// Authorization is delegated to an Authorizer (auth.MediaGrants in the
// server), and per-client limits to an Admission (WithAdmission) asked
// before any work on a WHIP or WHEP offer; Stats returns plain structs that
// the wiring exports as metrics (a video track's SendDelay is the server's
// read-to-sent time by position in the frame, for the latency tail). The server's own caps count viewers
// (MaxViewers) and publishers (MaxPublishers) apart, so viewers can never
// take a seller's place.
//
// ICEServers lists the STUN/TURN servers for clients; with Config.TURN it
// mints a TURN credential per call in the time-limited scheme TURN servers
// share with applications (turn.go), and HTTPHandler puts it in the Link
// headers of a 201 and of an OPTIONS request its POST would authorize,
// never of a CORS preflight.
package sfu
