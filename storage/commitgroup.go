package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// CommitGroupConfig tunes a CommitGroup.
type CommitGroupConfig struct {
	// Workers is how many group transactions may be in flight at once.
	// Zero means 2.
	Workers int
	// MaxRooms caps how many rooms' batches one transaction carries. Zero
	// means 64.
	MaxRooms int
}

// CommitGroup commits the bid batches of many rooms of one node together:
// each room's batch is still its own statement (fenced by its claim, guarded
// by its lot's version, all or nothing), but the batches that are waiting
// when a worker is free are sent in one transaction, so the node pays one
// commit (one WAL flush) for them all instead of one per room. At 10 bids a
// second in each of 100 rooms a room's batch is usually a single bid, and
// commits per second, not bids, are what a small Postgres runs out of first.
//
// A batch never waits for a group to form: a free worker takes it at once,
// alone if it is alone. If any batch of a group cannot be written (a taken
// key, a stale fence or version, an error), nothing of the group is, and
// each batch is committed again on its own, so one room's failure is its
// own. A commit whose outcome is unknown (the connection failed during
// COMMIT) is reported to every batch of the group, as it would be for a
// batch committed alone.
//
// Lots.Grouped makes a repository's CommitBatch use a group. Run must be
// running for the group to take batches; before and after it, batches are
// committed alone.
type CommitGroup struct {
	db   *DB
	cfg  CommitGroupConfig
	reqs chan *groupReq
	// quit is closed when Run has returned.
	quit     chan struct{}
	quitOnce sync.Once
	groups   atomic.Int64
	batches  atomic.Int64
}

// groupReq is one room's batch waiting for, or in, a group.
type groupReq struct {
	ctx context.Context
	st  atOnce
	// state moves from queued to taken (by a worker) or to abandoned (by
	// the caller, whose ctx ended first, or after Run returned), once.
	state atomic.Int32
	done  chan error
}

const (
	reqQueued int32 = iota
	reqTaken
	reqAbandoned
)

// NewCommitGroup returns a group over db; Run starts it.
func NewCommitGroup(db *DB, cfg CommitGroupConfig) *CommitGroup {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.MaxRooms <= 0 {
		cfg.MaxRooms = 64
	}
	return &CommitGroup{db: db, cfg: cfg, reqs: make(chan *groupReq, 4*cfg.MaxRooms), quit: make(chan struct{})}
}

// Grouped returns the repository whose CommitBatch sends its batches
// through g (nil: each commits alone).
func (r *Lots) Grouped(g *CommitGroup) *Lots {
	c := *r
	c.group = g
	return &c
}

// Stats reports how many group transactions ran and how many room batches
// they carried (a batch committed alone counts as a group of one).
func (g *CommitGroup) Stats() (groups, batches int64) { return g.groups.Load(), g.batches.Load() }

// Waiting is how many batches wait for a free worker (abandoned ones
// included until a worker drops them).
func (g *CommitGroup) Waiting() int { return len(g.reqs) }

// Run commits the batches rooms hand in until ctx is done; a group in
// flight then still finishes. It returns nil.
func (g *CommitGroup) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range g.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.work(ctx)
		}()
	}
	wg.Wait()
	g.quitOnce.Do(func() { close(g.quit) })
	return nil
}

// work takes a waiting batch and every other one waiting with it (up to
// MaxRooms) and commits them, until ctx is done.
func (g *CommitGroup) work(ctx context.Context) {
	members := make([]*groupReq, 0, g.cfg.MaxRooms)
	for {
		members = members[:0]
		select {
		case <-ctx.Done():
			return
		case r := <-g.reqs:
			if r.state.CompareAndSwap(reqQueued, reqTaken) {
				members = append(members, r)
			}
		}
	drain:
		for len(members) < g.cfg.MaxRooms {
			select {
			case r := <-g.reqs:
				if r.state.CompareAndSwap(reqQueued, reqTaken) {
					members = append(members, r)
				}
			default:
				break drain
			}
		}
		if len(members) > 0 {
			g.commitGroup(members)
		}
	}
}

// commit stores one room's batch through the group and returns what the
// statement alone would have returned (atOnce.check).
func (g *CommitGroup) commit(ctx context.Context, st atOnce) error {
	r := &groupReq{ctx: ctx, st: st, done: make(chan error, 1)}
	select {
	case g.reqs <- r:
	case <-g.quit:
		return g.alone(ctx, st)
	case <-ctx.Done():
		return fmt.Errorf("commit %d bids of room %s: %w", st.rows, st.roomID, ctx.Err())
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return fmt.Errorf("commit %d bids of room %s: %w", st.rows, st.roomID, ctx.Err())
		}
	case <-g.quit:
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return g.alone(ctx, st)
		}
	}
	// A worker has it: its outcome is the batch's, whatever ctx says now.
	return <-r.done
}

// alone commits one batch in a transaction of its own.
func (g *CommitGroup) alone(ctx context.Context, st atOnce) error {
	return st.check(g.db.Pool.QueryRow(ctx, st.sql, st.args...))
}

// commitGroup commits members together, or each alone if they cannot all
// be written, and answers each.
func (g *CommitGroup) commitGroup(members []*groupReq) {
	g.groups.Add(1)
	g.batches.Add(int64(len(members)))
	if len(members) == 1 {
		m := members[0]
		m.done <- g.alone(m.ctx, m.st)
		return
	}
	ctx, cancel := groupContext(members)
	err := g.together(ctx, members)
	cancel()
	if err == nil || errors.Is(err, errCommitUnknown) {
		for _, m := range members {
			m.done <- err
		}
		return
	}
	g.groups.Add(int64(len(members)))
	for _, m := range members {
		m.done <- g.alone(m.ctx, m.st)
	}
}

// errCommitUnknown says a group's COMMIT failed: it may or may not have
// been written.
var errCommitUnknown = errors.New("the outcome of the commit is unknown")

// together sends every member's statement in one transaction and commits
// it if each was written in full. Any other result returns an error with
// nothing written, except errCommitUnknown.
func (g *CommitGroup) together(ctx context.Context, members []*groupReq) error {
	tx, err := g.db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin a group of %d batches: %w", len(members), err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	b := &pgx.Batch{}
	for _, m := range members {
		b.Queue(m.st.sql, m.st.args...)
	}
	br := tx.SendBatch(ctx, b)
	var failed error
	for _, m := range members {
		if err := m.st.check(br.QueryRow()); err != nil && failed == nil {
			failed = err
		}
	}
	if err := br.Close(); failed == nil && err != nil {
		failed = mapError(err)
	}
	if failed != nil {
		return fmt.Errorf("a group of %d batches: %w", len(members), failed)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit a group of %d batches: %w: %w", len(members), errCommitUnknown, err)
	}
	return nil
}

// groupContext bounds a group's transaction by the latest deadline of its
// members (30 s if one has none); the members' cancellation does not stop
// it, since the others still wait for it.
func groupContext(members []*groupReq) (context.Context, context.CancelFunc) {
	latest := time.Time{}
	for _, m := range members {
		d, ok := m.ctx.Deadline()
		if !ok {
			latest = time.Now().Add(30 * time.Second)
			break
		}
		if d.After(latest) {
			latest = d
		}
	}
	return context.WithDeadline(context.WithoutCancel(members[0].ctx), latest)
}
