package media

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// sweepEvery bounds how often unfinished uploads are looked for: a
// quarter of the expiry, at most this.
const sweepEvery = 15 * time.Minute

// SweepUploads removes every unfinished resumable upload created more than
// Config.UploadExpiry ago (by Config.Now), with all the parts it had sent,
// and returns how many it removed. A request still writing to an expired
// upload is interrupted first (taking the upload's lock asks its holder to
// let go); one that does not let go at once is left for the next sweep.
// RunWorker calls it periodically.
func (s *Service) SweepUploads(ctx context.Context) (int, error) {
	held, err := s.tus.staging.list(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := s.cfg.Now().Add(-s.cfg.UploadExpiry)
	removed := 0
	var errs []error
	for _, u := range held {
		if !u.Created.Before(cutoff) {
			continue
		}
		ok, err := s.expire(ctx, u.ID)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			removed++
		}
	}
	return removed, errors.Join(errs...)
}

// expire removes one upload under its lock, unless a request holds on to it.
func (s *Service) expire(ctx context.Context, id string) (bool, error) {
	lock, err := s.tus.locker.NewLock(id)
	if err != nil {
		return false, fmt.Errorf("lock upload %s: %w", id, err)
	}
	lctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := lock.Lock(lctx, func() {}); err != nil {
		return false, nil // busy: the next sweep will see it
	}
	defer func() { _ = lock.Unlock() }()
	if err := s.tus.staging.remove(ctx, id); err != nil {
		return false, fmt.Errorf("expire upload %s: %w", id, err)
	}
	s.tus.expired.Add(1)
	s.log.Info("unfinished upload expired", "upload", id)
	return true, nil
}

// runSweeper sweeps expired uploads until ctx is done; wg is told when it
// has stopped.
func (s *Service) runSweeper(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	t := time.NewTicker(min(s.cfg.UploadExpiry/4, sweepEvery))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.SweepUploads(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("sweep of unfinished uploads", "removed", n, "err", err)
			}
		}
	}
}
