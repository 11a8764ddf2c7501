//go:build interop

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/ops"
)

// aiortcPython is Debian's interpreter, the one python3-aiortc installs for.
const aiortcPython = "/usr/bin/python3"

// watchSeconds is how long each viewer counts frames after its first.
const watchSeconds = 3

// aiortcEvent is one JSON line printed by testdata/interop/aiortc_peer.py.
type aiortcEvent struct {
	Event                    string  `json:"event"`
	T                        float64 `json:"t"`
	Status                   int     `json:"status"`
	Where                    string  `json:"where"`
	Codec                    string  `json:"codec"`
	Frames                   int     `json:"frames"`
	FramesSent               int     `json:"frames_sent"`
	FPS                      float64 `json:"fps"`
	Size                     []int   `json:"size"`
	FirstFrameSincePost      float64 `json:"first_frame_since_post"`
	FirstFrameSinceConnected float64 `json:"first_frame_since_connected"`
}

// aiortcPeer is a running aiortc_peer.py whose JSON lines arrive on events.
type aiortcPeer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan aiortcEvent
	done   chan error
}

func startAiortc(t *testing.T, ctx context.Context, args ...string) *aiortcPeer {
	t.Helper()
	timeout := 40
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(int(time.Until(dl).Seconds())-5, 5)
	}
	cmd := exec.CommandContext(ctx, aiortcPython, append([]string{"testdata/interop/aiortc_peer.py", "--timeout", strconv.Itoa(timeout)}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &aiortcPeer{cmd: cmd, stdin: stdin, events: make(chan aiortcEvent, 16), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev aiortcEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Logf("aiortc %s: %s", args[0], sc.Text())
				continue
			}
			p.events <- ev
		}
		close(p.events)
		err := cmd.Wait()
		if err != nil {
			t.Logf("aiortc %s stderr:\n%s", args[0], stderr.String())
		}
		p.done <- err
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
	})
	return p
}

// next waits for the peer's next event named want; an "error" event, the
// end of its output or ctx's end fails the test.
func (p *aiortcPeer) next(t *testing.T, ctx context.Context, want string) aiortcEvent {
	t.Helper()
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				t.Fatalf("aiortc exited before %q: %v", want, <-p.done)
			}
			if ev.Event == "error" {
				t.Fatalf("aiortc failed waiting for %q: %+v", want, ev)
			}
			if ev.Event == want {
				return ev
			}
		case <-ctx.Done():
			t.Fatalf("no %q from aiortc: %v", want, ctx.Err())
		}
	}
}

// TestInteropAiortc publishes over WHIP and watches over WHEP with aiortc
// (Debian's python3-aiortc, a WebRTC stack this project did not write),
// once per video codec, on loopback: the viewer must decode frames of the
// chosen codec, 640x360, within a first-frame time, and both the WHEP and
// the WHIP resource must be deleted with 200. A second viewer joins seconds
// into the stream, where its first frame comes from the server's cached
// group of pictures (aiortc's H.264 encoder ignores keyframe requests). It
// runs with `make interop` (build tag interop), not in `make test`.
func TestInteropAiortc(t *testing.T) {
	if _, err := exec.Command(aiortcPython, "-c", "import aiortc").CombinedOutput(); err != nil {
		t.Fatalf("python3-aiortc is not installed (scripts/services.sh install python3-aiortc): %v", err)
	}
	// BIDCAST_INTEROP_LATE_VIEWERS late viewers (default 1) join one after
	// another, at different places of the publisher's group of pictures;
	// PERFORMANCE.md's first-frame percentiles come from 20 of them.
	late := 1
	if v := os.Getenv("BIDCAST_INTEROP_LATE_VIEWERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			t.Fatalf("BIDCAST_INTEROP_LATE_VIEWERS=%q: want 1..100", v)
		}
		late = n
	}
	base, app := startApp(t, testConfig(t, ""))
	for _, codec := range []string{"H264", "VP8"} {
		t.Run(codec, func(t *testing.T) {
			room, err := ops.CreateRoom(context.Background(), app.db, base, "interop "+codec, "aiortc-"+strings.ToLower(codec), ops.RoomOptions{Public: true})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(60+6*late)*time.Second)
			defer cancel()

			pub := startAiortc(t, ctx, "publish", room.WHIPURL, room.PublishToken, codec)
			pub.next(t, ctx, "connected")

			// The first viewer comes as the stream starts; the late ones
			// each once the one before has left, seconds into the
			// publisher's stream, so their first frame comes from the
			// server's cached group of pictures or a keyframe asked for
			// mid-stream (the server's PLI).
			who := []string{"first viewer"}
			for i := range late {
				who = append(who, fmt.Sprintf("late viewer %d", i+1))
			}
			var lateFirst []time.Duration
			for i, who := range who {
				view := startAiortc(t, ctx, "watch", room.WHEPURL, codec, strconv.Itoa(watchSeconds))
				if conn := view.next(t, ctx, "connected"); conn.Codec != codec {
					t.Errorf("%s: the WHEP answer chose %q, want %s", who, conn.Codec, codec)
				}
				got := view.next(t, ctx, "frames")
				t.Logf("%s %s: %d frames (%.1f fps, %v), first frame %.3f s after the WHEP POST, %.3f s after ICE connected",
					codec, who, got.Frames, got.FPS, got.Size, got.FirstFrameSincePost, got.FirstFrameSinceConnected)
				// aiortc 1.4 (Debian 12) answers PLI with a keyframe in VP8
				// only: its H.264 encoder drops the request, so a late H.264
				// viewer would wait for libx264's next IDR (every 250
				// frames, 8.3 s). The server's cached group of pictures,
				// squeezed to the live edge, starts it at once instead.
				limit := time.Second
				first := time.Duration(got.FirstFrameSincePost * float64(time.Second))
				if first > limit {
					t.Errorf("%s: first frame %v after the WHEP POST, want at most %v", who, first, limit)
				}
				if i > 0 {
					lateFirst = append(lateFirst, first)
				}
				if least := watchSeconds * 30 / 2; got.Frames < least {
					t.Errorf("%s decoded %d frames in %d s, want at least %d", who, got.Frames, watchSeconds, least)
				}
				if len(got.Size) != 2 || got.Size[0] != 640 || got.Size[1] != 360 {
					t.Errorf("%s: decoded frame size %v, want [640 360]", who, got.Size)
				}
				if del := view.next(t, ctx, "deleted"); del.Status != 200 {
					t.Errorf("%s: WHEP DELETE = %d, want 200", who, del.Status)
				}
				if err := <-view.done; err != nil {
					t.Errorf("%s: %v", who, err)
				}
			}

			slices.Sort(lateFirst)
			pct := func(q float64) time.Duration { return lateFirst[int(q*float64(len(lateFirst)-1)+0.5)] }
			t.Logf("%s late viewers (%d): first frame after the WHEP POST p50 %v, p95 %v, max %v",
				codec, len(lateFirst), pct(0.5).Round(time.Millisecond), pct(0.95).Round(time.Millisecond), lateFirst[len(lateFirst)-1].Round(time.Millisecond))

			pub.stdin.Close()
			del := pub.next(t, ctx, "deleted")
			if del.Status != 200 {
				t.Errorf("WHIP DELETE = %d, want 200", del.Status)
			}
			if err := <-pub.done; err != nil {
				t.Errorf("publisher: %v", err)
			}
		})
	}
}
