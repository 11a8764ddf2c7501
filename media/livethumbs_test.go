package media

import (
	"bytes"
	"context"
	"image/jpeg"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/sfu"
)

// stillSource is a ThumbSource with fixed rooms on air, each with the same
// keyframe; it counts how often a keyframe is asked for.
type stillSource struct {
	mu    sync.Mutex
	rooms []string
	kf    sfu.Keyframe
	asked int
}

func (s *stillSource) PublishingRooms() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rooms...)
}

func (s *stillSource) Keyframe(string) (sfu.Keyframe, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked++
	return s.kf, len(s.kf.Payloads) > 0
}

// TestLiveThumbsRounds makes a room's thumbnail in Redis, does not remake
// it before Interval has passed, remakes it after, serves none for a room
// never on air, and forgets a room that goes off air.
func TestLiveThumbsRounds(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed (make installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	clip := smallClip(ctx, t)
	opt, err := redis.ParseURL(testenv.StartRedis(t).URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })

	src := &stillSource{rooms: []string{"on-air"}, kf: sfu.Keyframe{MimeType: "video/H264", Payloads: clip.Frames[0].Payloads}}
	l := &LiveThumbs{Source: src, Redis: rdb, FFmpegPath: ffmpeg, Width: 200, Interval: time.Minute, made: map[string]time.Time{}}
	t0 := time.Now()
	l.round(ctx, t0)
	img, ok, err := LiveThumbnail(ctx, rdb, "on-air")
	if err != nil || !ok {
		t.Fatalf("no thumbnail after a round: %v", err)
	}
	if pic, err := jpeg.Decode(bytes.NewReader(img)); err != nil || pic.Bounds().Dx() != 200 {
		t.Fatalf("thumbnail is not a 200-pixel JPEG: %v", err)
	}
	if ttl := rdb.TTL(ctx, thumbKey("on-air")).Val(); ttl <= 2*time.Minute || ttl > 3*time.Minute {
		t.Errorf("thumbnail kept for %v, want three intervals", ttl)
	}
	l.round(ctx, t0.Add(30*time.Second))
	if src.asked != 1 {
		t.Errorf("remade before its interval: asked %d times", src.asked)
	}
	l.round(ctx, t0.Add(61*time.Second))
	if src.asked != 2 {
		t.Errorf("not remade after its interval: asked %d times", src.asked)
	}
	if _, ok, _ := LiveThumbnail(ctx, rdb, "never-on-air"); ok {
		t.Error("a thumbnail for a room never on air")
	}
	src.mu.Lock()
	src.rooms = nil
	src.mu.Unlock()
	l.round(ctx, t0.Add(62*time.Second))
	if len(l.made) != 0 {
		t.Errorf("rooms off air are remembered: %v", l.made)
	}
}
