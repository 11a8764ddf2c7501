package signaling

import "context"

// handleMediaICE answers media.ice with the ICE servers the connection's
// next RTCPeerConnection should use. The pages ask before media.publish
// (the studio) so that a seller on a network that blocks UDP, or behind a
// symmetric NAT, can relay through the operator's TURN server; WHIP/WHEP
// clients get the same servers from OPTIONS. A TURN credential is minted
// per request and expires, so it goes only to a connection that could open
// a media session now: joined to a live room it may still watch (its
// access and bans read fresh, as for media.candidate).
func (g *Gateway) handleMediaICE(ctx context.Context, c *conn, env Envelope) error {
	if g.media == nil {
		return Errorf(CodeMediaUnavailable, "this server has no media service")
	}
	roomID := c.room()
	if roomID == "" {
		return Errorf(CodeNotJoined, "join a room first")
	}
	if _, err := g.rooms.live(ctx, roomID); err != nil {
		return err
	}
	if err := g.mayStillWatch(ctx, c); err != nil {
		return err
	}
	servers, err := g.media.ICEServers(ctx, roomID, c.id)
	if err != nil {
		return err
	}
	if servers == nil {
		servers = []ICEServer{} // "ice_servers": [] rather than null
	}
	c.send(encode(TypeAck, env.ID, 0, ICEAckData{ICEServers: servers}))
	return nil
}
