package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/sfu"
)

// ThumbSource is where LiveThumbs finds the rooms on air and their newest
// keyframes: the SFU.
type ThumbSource interface {
	PublishingRooms() []string
	Keyframe(roomID string) (sfu.Keyframe, bool)
}

// LiveThumbs makes the lobby's live thumbnails: for each room whose video
// reaches this node, a JPEG of its newest keyframe, remade every Interval
// and kept in Redis (so any node's API can serve it) for three Intervals.
// It asks no publisher for a keyframe: it takes the one the SFU keeps for
// joining viewers, so it costs the show nothing.
type LiveThumbs struct {
	Source ThumbSource
	Redis  redis.UniversalClient
	// FFmpegPath is the ffmpeg binary; Width the most pixels across.
	FFmpegPath string
	Width      int
	// Interval is how often a room's thumbnail is remade (default 30 s); a
	// room that comes on air gets its first within a sixth of it.
	Interval time.Duration
	Log      *slog.Logger

	made map[string]time.Time // room → when its thumbnail was last made
}

// thumbKey is the Redis key of a room's live thumbnail.
func thumbKey(roomID string) string { return "bidcast:thumb:" + roomID }

// LiveThumbnail returns the room's live thumbnail (a JPEG), or ok false
// when the room has none (not on air, or not for long enough).
func LiveThumbnail(ctx context.Context, rdb redis.UniversalClient, roomID string) (jpeg []byte, ok bool, err error) {
	b, err := rdb.Get(ctx, thumbKey(roomID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the live thumbnail of room %s: %w", roomID, err)
	}
	return b, true, nil
}

// LiveThumbnail is LiveThumbnail on the service's Redis (for the API).
func (s *Service) LiveThumbnail(ctx context.Context, roomID string) ([]byte, bool, error) {
	return LiveThumbnail(ctx, s.rdb, roomID)
}

// StoreLiveThumbnail keeps jpeg as the room's live thumbnail for ttl.
func StoreLiveThumbnail(ctx context.Context, rdb redis.UniversalClient, roomID string, jpeg []byte, ttl time.Duration) error {
	if err := rdb.Set(ctx, thumbKey(roomID), jpeg, ttl).Err(); err != nil {
		return fmt.Errorf("store the live thumbnail of room %s: %w", roomID, err)
	}
	return nil
}

// Run makes thumbnails until ctx ends.
func (l *LiveThumbs) Run(ctx context.Context) {
	if l.Interval <= 0 {
		l.Interval = 30 * time.Second
	}
	if l.Width <= 0 {
		l.Width = 480
	}
	if l.Log == nil {
		l.Log = slog.New(slog.DiscardHandler)
	}
	l.made = map[string]time.Time{}
	tick := time.NewTicker(l.Interval / 6)
	defer tick.Stop()
	for {
		l.round(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// round remakes the thumbnails that are due and forgets rooms gone off air.
func (l *LiveThumbs) round(ctx context.Context, now time.Time) {
	on := map[string]bool{}
	for _, room := range l.Source.PublishingRooms() {
		on[room] = true
		if now.Sub(l.made[room]) < l.Interval {
			continue
		}
		kf, ok := l.Source.Keyframe(room)
		if !ok {
			continue // no whole keyframe yet: try again next round
		}
		if err := l.make(ctx, room, kf); err != nil {
			l.Log.Debug("no live thumbnail", "room", room, "err", err)
			continue
		}
		l.made[room] = now
	}
	for room := range l.made {
		if !on[room] {
			delete(l.made, room)
		}
	}
}

func (l *LiveThumbs) make(ctx context.Context, room string, kf sfu.Keyframe) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	jpeg, err := KeyframeJPEG(ctx, l.FFmpegPath, kf.MimeType, kf.Payloads, l.Width)
	if err != nil {
		return err
	}
	return StoreLiveThumbnail(ctx, l.Redis, room, jpeg, 3*l.Interval)
}
