package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestResumableUploadInChromium uploads a video in the studio through a
// proxy that cuts every connection once about half of the file has passed
// it. tus-js-client retries, asks the server for its offset and sends the
// rest; the item's video becomes ready, and the server's counter of bytes
// received stays under 1.3 × the file's size (a restart from zero would
// show as about 1.5 ×).
func TestResumableUploadInChromium(t *testing.T) {
	proxy := newCutProxy(t)
	base, seller, clip, size := uploadStudio(t, proxy)
	run(t, "fill the item", seller, chromedp.SetValue("#item-title", "Clock with a long video"),
		chromedp.SetUploadFiles("#item-files", []string{clip}))
	proxy.arm(size / 2)
	click(t, "save the item", seller, "item-save")
	waitJS(t, seller, "the upload finished", `window.bidcastStudio.catalog.uploads.entries[0]?.state === "done"`)
	waitJS(t, seller, "the video processed", `document.querySelectorAll("#items .tile.ready img").length === 1`)
	if proxy.cuts.Load() != 1 || proxy.patches.Load() < 2 {
		t.Fatalf("%d cuts, %d PATCH requests: the connection was not cut mid-upload", proxy.cuts.Load(), proxy.patches.Load())
	}
	received := scrapeCounter(t, base, uploadTestToken, "bidcast_media_tus_bytes_received_total")
	t.Logf("file %d bytes; server received %d (%.2f ×) in %d PATCH requests", size, received, float64(received)/float64(size), proxy.patches.Load())
	if received < size || float64(received) >= 1.3*float64(size) {
		t.Fatalf("server received %d bytes for a file of %d", received, size)
	}
	shoot(t, seller, "studio-resumable-upload")
}

// uploadTestToken is the METRICS_TOKEN the upload tests read the server's
// byte counter with.
const uploadTestToken = "upload-test-metrics-token"

// uploadStudio starts the server behind proxy, a seller's studio open in
// Chromium (90 s for the whole test), and a 6 MiB video to upload; it
// returns the server's base URL, the studio's tab, the file and its size.
func uploadStudio(t *testing.T, proxy *cutProxy) (base string, seller context.Context, clip string, size int64) {
	t.Helper()
	chromium := requireChromium(t)
	base, bin, env := e2eServer(t, "PUBLIC_URL=http://"+proxy.addr(), "METRICS_TOKEN="+uploadTestToken)
	proxy.target = strings.TrimPrefix(base, "http://")
	room := createE2ERoom(t, bin, env)
	clip = writePaddedClip(t, 6<<20)
	st, err := os.Stat(clip)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	seller = newTab(t, newBrowser(ctx, t, chromium))
	run(t, "the seller opens the studio", seller, chromedp.Navigate(studioURL(room)))
	waitJS(t, seller, "the studio", `window.bidcastStudio?.catalog.lots.length === 1`)
	return base, seller, clip, st.Size()
}

// TestResumableUploadAfterReloadInChromium cuts a video's upload at half
// and keeps the upload URLs unreachable, so the page cannot resume by
// itself; the seller reloads the studio, which names the unfinished file,
// edits the item and chooses the same file again: the upload continues
// from the server's offset instead of starting over, and the video
// becomes the item's one media entry.
func TestResumableUploadAfterReloadInChromium(t *testing.T) {
	proxy := newCutProxy(t)
	proxy.block = true
	base, seller, clip, size := uploadStudio(t, proxy)
	run(t, "fill the item", seller, chromedp.SetValue("#item-title", "Clock, reloaded"),
		chromedp.SetUploadFiles("#item-files", []string{clip}))
	proxy.arm(size / 2)
	click(t, "save the item", seller, "item-save")
	waitJS(t, seller, "the item saved", `document.getElementById("items").textContent.includes("Clock, reloaded")`)
	deadline := time.Now().Add(30 * time.Second)
	for proxy.cuts.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if proxy.cuts.Load() != 1 {
		t.Fatal("the upload was never cut")
	}
	run(t, "reload the studio", seller, chromedp.Reload())
	waitJS(t, seller, "the studio again", `window.bidcastStudio?.catalog.items.some((it) => it.title === "Clock, reloaded")`)
	waitJS(t, seller, "the unfinished upload named", `document.getElementById("uploads-unfinished").textContent.includes("`+filepath.Base(clip)+`")`)
	proxy.unblock()
	run(t, "edit the item", seller, js(`[...document.querySelectorAll("#items li")].find((li) => li.textContent.includes("Clock, reloaded")).querySelector("button").click()`),
		chromedp.SetUploadFiles("#item-files", []string{clip}))
	click(t, "save with the same file", seller, "item-save")
	waitJS(t, seller, "the upload finished", `window.bidcastStudio.catalog.uploads.entries[0]?.state === "done"`)
	waitJS(t, seller, "the video processed", `document.querySelectorAll("#items .tile.ready img").length === 1 &&
		document.querySelectorAll("#items .tile").length === 1`)
	waitJS(t, seller, "no unfinished upload named", `document.getElementById("uploads-unfinished").textContent === ""`)
	received := scrapeCounter(t, base, uploadTestToken, "bidcast_media_tus_bytes_received_total")
	t.Logf("file %d bytes; server received %d (%.2f ×) in %d PATCH requests", size, received, float64(received)/float64(size), proxy.patches.Load())
	if received < size || float64(received) >= 1.3*float64(size) {
		t.Fatalf("server received %d bytes for a file of %d: the upload started over", received, size)
	}
}

// writePaddedClip makes a two-second clip and pads it to about size bytes
// with a trailing "free" box of random bytes, which players skip: a large
// file that still processes quickly.
func writePaddedClip(t *testing.T, size int) string {
	t.Helper()
	path := writeClip(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pad := make([]byte, size-len(data)-8)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range pad {
		pad[i] = byte(r.Uint32())
	}
	data = append(data, binary.BigEndian.AppendUint32(nil, uint32(len(pad)+8))...)
	data = append(append(data, "free"...), pad...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// scrapeCounter reads one counter from the server's /metrics.
func scrapeCounter(t *testing.T, base, token, name string) int64 {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return int64(f)
		}
	}
	t.Fatalf("/metrics (%d) has no %s", resp.StatusCode, name)
	return 0
}

// cutProxy forwards loopback TCP connections to target and, once armed,
// closes every open connection when the bytes sent toward the server since
// arming reach a threshold: a phone's connection dropping mid-upload.
type cutProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	conns   map[net.Conn]bool
	sent    atomic.Int64
	limit   atomic.Int64 // 0: not armed
	cuts    atomic.Int32
	patches atomic.Int32
	// block, when set at arming, keeps the upload URLs unreachable after
	// the cut (connections sending to /api/v1/uploads/ are closed), while
	// pages and the rest of the API still pass; unblock lifts it.
	block   bool
	blocked atomic.Bool
}

func newCutProxy(t *testing.T) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, conns: map[net.Conn]bool{}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.closeAll()
		wg.Wait()
	})
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

// arm makes the proxy cut once n more bytes have gone toward the server.
func (p *cutProxy) arm(n int64) {
	p.sent.Store(0)
	p.limit.Store(n)
}

func (p *cutProxy) serve(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(c, up)
		c.Close()
		close(done)
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			p.patches.Add(int32(bytes.Count(buf[:n], []byte("PATCH /api/v1/uploads/"))))
			if p.blocked.Load() && bytes.Contains(buf[:n], []byte(" /api/v1/uploads/")) {
				break
			}
			if _, werr := up.Write(buf[:n]); werr != nil {
				break
			}
			if lim := p.limit.Load(); lim > 0 && p.sent.Add(int64(n)) >= lim && p.limit.CompareAndSwap(lim, 0) {
				p.cuts.Add(1)
				p.blocked.Store(p.block)
				p.closeAll()
			}
		}
		if err != nil {
			break
		}
	}
	up.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// unblock lets requests to the upload URLs through again.
func (p *cutProxy) unblock() { p.blocked.Store(false) }

// closeAll closes every open connection, both sides.
func (p *cutProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}
