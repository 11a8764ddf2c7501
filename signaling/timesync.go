package signaling

import "context"

// handleTimeSync answers time.sync, one NTP-style probe: the client keeps
// the probe with the smallest round trip and draws every countdown from a
// lot's deadline (server time) minus its offset, so the server never has to
// stream clock ticks. Clients should probe a few times on join and again
// every minute or so.
func (g *Gateway) handleTimeSync(c *conn, env Envelope) error {
	var d TimeSyncData
	if err := decodeData(env, &d); err != nil {
		return err
	}
	d.ServerTime = g.cfg.Now().UnixMilli()
	c.send(encode(TypeTimeSync, env.ID, 0, d))
	return nil
}

// handle routes one decoded client message to its handler.
func (g *Gateway) handle(ctx context.Context, c *conn, env Envelope) error {
	switch env.Type {
	case TypeJoin:
		return g.handleJoin(ctx, c, env)
	case TypeLeave:
		return g.handleLeave(c, env)
	case TypeChatSend:
		return g.handleChat(ctx, c, env)
	case TypeBidPlace, TypeBidMax:
		return g.handleBid(ctx, c, env)
	case TypeTimeSync:
		return g.handleTimeSync(c, env)
	case TypeMediaPublish, TypeMediaSubscribe, TypeMediaAnswer, TypeMediaCandidate, TypeMediaClose:
		return g.handleMedia(ctx, c, env)
	case TypeMediaICE:
		return g.handleMediaICE(ctx, c, env)
	}
	if commandTypes[env.Type] {
		return g.handleCommand(ctx, c, env)
	}
	return Errorf(CodeUnknownType, "unknown message type")
}
