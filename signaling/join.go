package signaling

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/bidcast/bidcast/events"
)

// handleJoin puts the connection in a live room and brings it up to date:
// with the events it missed if it resumes and the log still has them, else
// with a snapshot. Joining another room leaves the current one; joining the
// same room again resyncs (a client that suspects it missed something sends
// join with resume_from).
func (g *Gateway) handleJoin(ctx context.Context, c *conn, env Envelope) error {
	var d JoinData
	if err := decodeData(env, &d); err != nil {
		return err
	}
	if d.RoomID == "" || len(d.RoomID) > 64 || !printable(d.RoomID) {
		return Errorf(CodeBadRequest, "room_id is required")
	}
	if d.ResumeFrom < 0 {
		return Errorf(CodeBadRequest, "resume_from must not be negative")
	}
	info, err := g.rooms.live(ctx, d.RoomID)
	if err != nil {
		return err
	}
	if len(d.ViewerToken) > maxViewerToken {
		return Errorf(CodeBadRequest, "viewer_token is too long")
	}
	if err := g.checkView(ctx, c.id, info, d.ViewerToken); err != nil {
		return err
	}
	if _, err := g.roomModeration(ctx, d.RoomID, c.id.UserID); err != nil {
		return err
	}
	if g.waker != nil {
		g.waker.Wake(d.RoomID) // someone is here: a parked room runs again
	}
	c.leave()

	// Events that arrive from now on wait in pending until the connection
	// has its snapshot or replay, so nothing falls between the two.
	c.mu.Lock()
	c.roomID, c.syncing, c.pending, c.lastSeq = d.RoomID, true, nil, 0
	c.viewerToken = d.ViewerToken
	c.mu.Unlock()
	r, err := g.hub.add(ctx, c, d.RoomID)
	if err != nil {
		c.mu.Lock()
		c.roomID, c.syncing, c.pending = "", false, nil
		c.mu.Unlock()
		return err
	}
	seq, resumed, err := g.catchUpConn(ctx, c, info, r, d.ResumeFrom)
	if err != nil {
		c.leave()
		return err
	}
	c.finishSync(seq)
	c.send(encode(TypeAck, env.ID, 0, JoinAckData{RoomID: d.RoomID, Seq: seq, Resumed: resumed,
		MediaURL: g.placeMedia(ctx, d.RoomID)}))
	return nil
}

// placeMedia asks the cluster, if any, where the room is best watched; a
// failure answers "here", since every node can serve every room.
func (g *Gateway) placeMedia(ctx context.Context, roomID string) string {
	if g.placer == nil {
		return ""
	}
	u, err := g.placer.Place(ctx, roomID)
	if err != nil {
		g.log.Warn("placing a viewer failed; watching here", "room", roomID, "err", err)
		return ""
	}
	return u
}

// catchUpConn sends the events after resumeFrom when it can, else a
// snapshot, and returns the seq the connection is now up to date with.
func (g *Gateway) catchUpConn(ctx context.Context, c *conn, info RoomInfo, r *room, resumeFrom int64) (int64, bool, error) {
	if resumeFrom > 0 {
		evs, err := g.events.Since(ctx, info.ID, resumeFrom, g.cfg.ResumeMax+1)
		switch {
		case err == nil && int64(len(evs)) <= g.cfg.ResumeMax:
			last, lerr := g.events.LastSeq(ctx, info.ID)
			if lerr != nil {
				return 0, false, lerr
			}
			if resumeFrom > last {
				break // the client claims a future seq: give it the truth
			}
			seq := resumeFrom
			for _, ev := range evs {
				seq = ev.Seq
				if ev.For(c.id.UserID) {
					// Replayed events merge into room.events lists.
					f := encodeRaw(ev.Type, "", ev.Seq, ev.Data)
					c.sendEvents([][]byte{f}, f, ev.Seq, true)
				}
			}
			return seq, true, nil
		case err != nil && !errors.Is(err, events.ErrTooFarBehind):
			return 0, false, err
		}
	}
	snap, after, seq, err := g.snapshot(ctx, c, info, r)
	if err != nil {
		return 0, false, err
	}
	c.send(encode(TypeSnapshot, "", snap.Seq, snap))
	for _, ev := range after {
		f := encodeRaw(ev.Type, "", ev.Seq, ev.Data)
		c.sendEvents([][]byte{f}, f, ev.Seq, true)
	}
	return seq, false, nil
}

// snapshotTries bounds the optimistic read of a consistent snapshot.
const snapshotTries = 3

// snapshot reads the room's state and the events after it: the snapshot,
// which includes every event up to its Seq; the room events for this user
// between that and the log's latest (the owner stores its snapshot only
// now and then while busy), chat left out since the snapshot's chat is
// read up to the latest; and that latest seq, which the connection is then
// current as of. With no event to replay the snapshot's Seq is the latest.
func (g *Gateway) snapshot(ctx context.Context, c *conn, info RoomInfo, r *room) (SnapshotData, []events.Event, int64, error) {
	state, at, err := g.events.Snapshot(ctx, info.ID)
	if err != nil {
		return SnapshotData{}, nil, 0, err
	}
	if at > 0 {
		last, err := g.events.LastSeq(ctx, info.ID)
		if err != nil {
			return SnapshotData{}, nil, 0, err
		}
		var evs []events.Event
		if last > at {
			evs, err = g.events.Since(ctx, info.ID, at, min(last-at, events.Retention))
		}
		switch {
		case err == nil:
			last = max(last, at)
			after := evs[:0]
			for _, ev := range evs {
				if ev.Seq <= last && ev.Type != TypeChatMessage && ev.Type != TypeChatDeleted && ev.For(c.id.UserID) {
					after = append(after, ev)
				}
			}
			seq := last
			if len(after) > 0 {
				seq = after[0].Seq - 1
			}
			data, err := g.snapshotData(ctx, c, info, r, state, seq, last)
			return data, after, last, err
		case !errors.Is(err, events.ErrTooFarBehind):
			return SnapshotData{}, nil, 0, err
		}
		// The log no longer has the events after the snapshot (a chat
		// flood while the owner was busy): fall back to the snapshot as
		// current, below, which room events tolerate.
	}
	seq, state, err := g.currentSnapshot(ctx, info.ID)
	if err != nil {
		return SnapshotData{}, nil, 0, err
	}
	data, err := g.snapshotData(ctx, c, info, r, state, seq, seq)
	return data, nil, seq, err
}

// currentSnapshot reads a snapshot stored without its seq (by an older
// version) with the log's seq it is current as of. The event log stores
// the snapshot and bumps the seq in one step, so if the seq is the same
// before and after reading the snapshot, the snapshot includes the events
// up to it. Should the room be too busy for that three times running, the
// older seq is used: the client may then see an event whose effect is
// already in its snapshot, which room events are designed to tolerate
// (they carry new values, not deltas).
func (g *Gateway) currentSnapshot(ctx context.Context, roomID string) (int64, json.RawMessage, error) {
	var (
		seq   int64
		state json.RawMessage
	)
	for range snapshotTries {
		before, err := g.events.LastSeq(ctx, roomID)
		if err != nil {
			return 0, nil, err
		}
		state, _, err = g.events.Snapshot(ctx, roomID)
		if err != nil {
			return 0, nil, err
		}
		after, err := g.events.LastSeq(ctx, roomID)
		if err != nil {
			return 0, nil, err
		}
		seq = before
		if before == after {
			break
		}
	}
	return seq, state, nil
}

// snapshotData is the room.snapshot message: state as of seq, chat as of
// chatSeq.
func (g *Gateway) snapshotData(ctx context.Context, c *conn, info RoomInfo, r *room, state json.RawMessage,
	seq, chatSeq int64) (SnapshotData, error) {
	chat, err := g.recentChat(ctx, info.ID, chatSeq)
	if err != nil {
		return SnapshotData{}, err
	}
	if state == nil {
		state = json.RawMessage("null")
	}
	return SnapshotData{
		Room:       RoomView{ID: info.ID, Title: info.Title, SellerID: info.SellerID, Status: info.Status},
		State:      state,
		Chat:       chat,
		Viewers:    g.viewers.count(r),
		ServerTime: g.cfg.Now().UnixMilli(),
		Seq:        seq,
		You: YouView{UserID: c.id.UserID, DisplayName: c.id.DisplayName, Alias: g.aliases.Of(info.ID, c.id.UserID),
			Role: c.id.Role, Guest: c.id.Guest, CanBid: g.mayBid(c.id, info) == nil, Seller: isSellerOf(c.id, info)},
	}, nil
}

// finishSync releases the events held while joining that come after seq.
func (c *conn) finishSync(seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastSeq = seq
	for _, p := range c.pending {
		if p.seq > c.lastSeq {
			c.lastSeq = p.seq
			c.sendEvents([][]byte{p.frame}, p.frame, p.seq, true)
		}
	}
	c.pending, c.syncing = nil, false
}

// handleLeave leaves the current room, if any.
func (g *Gateway) handleLeave(c *conn, env Envelope) error {
	roomID := c.room()
	if roomID == "" {
		return Errorf(CodeNotJoined, "not in a room")
	}
	c.leave()
	c.send(encode(TypeAck, env.ID, 0, AckData{RoomID: roomID}))
	return nil
}

// leave takes the connection out of its room.
func (c *conn) leave() {
	c.mu.Lock()
	roomID := c.roomID
	c.roomID, c.syncing, c.pending, c.lastSeq = "", false, nil, 0
	c.viewerToken = ""
	c.mu.Unlock()
	if roomID != "" {
		c.g.hub.remove(c, roomID)
	}
}
