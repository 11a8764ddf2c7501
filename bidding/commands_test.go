package bidding

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
)

// fakeModeration records what Commands writes for the gateways.
type fakeModeration struct {
	mu    sync.Mutex
	muted map[string]time.Duration
	slow  time.Duration
	chat  map[string]bool
}

func (m *fakeModeration) Mute(_ context.Context, _, userID string, d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.muted[userID] = d
	return nil
}
func (m *fakeModeration) Ban(context.Context, string, string) error { return nil }
func (m *fakeModeration) SetSlow(_ context.Context, _ string, d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.slow = d
	return nil
}
func (m *fakeModeration) DeleteChat(_ context.Context, _, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ok := m.chat[id]
	delete(m.chat, id)
	return ok, nil
}

type countingClaimer struct{ n int }

func (c *countingClaimer) Kick() { c.n++ }

// TestCommandsRunThroughTheActor drives a live room with seller commands:
// commands without a lot apply to the current one, refusals carry their
// kind and a message a seller can act on, and moderation reaches both the
// actor and the gateways' store.
func TestCommandsRunThroughTheActor(t *testing.T) {
	s := startLiveShow(t, "sudden-death", time.Minute)
	mod := &fakeModeration{muted: map[string]time.Duration{}, chat: map[string]bool{"m1": true}}
	claims := &countingClaimer{}
	cmds := NewCommands(s.rooms, claims, mod, events.NewRedisLog(s.rdb))
	ctx := context.Background()
	for _, tc := range []struct {
		cmd  Command
		kind error
		msg  string
	}{
		{Command{Type: CommandLotStart, LotID: s.lotID}, ErrCommandRefused, "another lot is still running; end or skip it first"},
		{Command{Type: CommandLotPause}, nil, ""},
		{Command{Type: CommandLotPause}, ErrCommandRefused, "the lot cannot do that in its current state"},
		{Command{Type: CommandLotResume, LotID: s.lotID}, nil, ""},
		{Command{Type: CommandLotEnd, LotID: "00000000-0000-0000-0000-000000000000"}, ErrCommandRefused, "that lot is not the room's current lot"},
		{Command{Type: CommandModMute, UserID: s.bidders[0], Seconds: 30}, nil, ""},
		{Command{Type: CommandModSlow, Seconds: 5}, nil, ""},
		{Command{Type: CommandChatDelete, MessageID: "m1"}, nil, ""},
		{Command{Type: CommandChatDelete, MessageID: "m1"}, ErrCommandRefused, "no such chat message in this room"},
		{Command{Type: "lot.dance"}, ErrUnknownCommand, "unknown command lot.dance"},
	} {
		err := cmds.Run(ctx, s.roomID, tc.cmd)
		var ce *CommandError
		switch {
		case tc.kind == nil && err != nil:
			t.Errorf("%+v: %v", tc.cmd, err)
		case tc.kind != nil && (!errors.As(err, &ce) || !errors.Is(err, tc.kind) || ce.Message != tc.msg):
			t.Errorf("%+v: got %v, want %v %q", tc.cmd, err, tc.kind, tc.msg)
		}
	}
	if lot := s.lot(); lot.Status != auction.StatusLive {
		t.Errorf("lot after pause and resume: %s", lot.Status)
	}
	if mod.muted[s.bidders[0]] != 30*time.Second || mod.slow != 5*time.Second {
		t.Errorf("moderation store: muted %v, slow %v", mod.muted, mod.slow)
	}
	if claims.n != 0 {
		t.Errorf("a running room was claimed again %d times", claims.n)
	}
	if running, err := s.room.LotRunning(ctx); err != nil || !running {
		t.Fatalf("LotRunning of a live lot: %v, %v", running, err)
	}
	if err := cmds.Run(ctx, s.roomID, Command{Type: CommandLotSkip}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the skipped lot to stop running", func() bool {
		running, err := s.room.LotRunning(ctx)
		return err == nil && !running
	})
}

// TestCommandsWaitForTheClaim: a command for a room this node does not run
// asks the node to claim it, then is refused as unavailable once the wait
// is over.
func TestCommandsWaitForTheClaim(t *testing.T) {
	s := startLiveShow(t, "sudden-death", time.Minute)
	claims := &countingClaimer{}
	cmds := NewCommands(s.rooms, claims, &fakeModeration{}, events.NewRedisLog(s.rdb))
	cmds.ClaimWait, cmds.ClaimPoll = 50*time.Millisecond, 10*time.Millisecond
	err := cmds.Run(context.Background(), "00000000-0000-0000-0000-000000000000", Command{Type: CommandLotPause})
	if !errors.Is(err, ErrCommandUnavailable) || claims.n != 1 {
		t.Fatalf("got %v after %d claims, want unavailable after one", err, claims.n)
	}
}
