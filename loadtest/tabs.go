package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// tabStats is what the collector returns for one tab and interval.
type tabStats struct {
	Video []struct {
		JitterMs     *float64 `json:"jitter_ms"`
		ProcessingMs *float64 `json:"processing_ms"`
		DecodeMs     *float64 `json:"decode_ms"`
		Frames       float64  `json:"frames"`
		Freezes      float64  `json:"freezes"`
		FreezeS      float64  `json:"freeze_s"`
		Lost         float64  `json:"lost"`
		Received     float64  `json:"received"`
		FPS          float64  `json:"fps"`
		RTTMs        *float64 `json:"rtt_ms"`
	} `json:"video"`
	BidRTT []struct {
		Ms float64 `json:"ms"`
		OK bool    `json:"ok"`
	} `json:"bidRTT"`
	Decisions []struct {
		Ms float64 `json:"ms"`
	} `json:"decisions"`
	FirstFrameMs float64  `json:"firstFrameMs"`
	Connected    int      `json:"connected"`
	Errors       []string `json:"errors"`
}

// tab is one Chromium tab.
type tab struct {
	id       int
	ctx      context.Context
	cancel   context.CancelFunc
	err      error
	playing  bool
	lastSeen time.Time
}

// tabSwarm is one headless Chromium and its tabs, with every figure the
// tabs reported during the measured window.
type tabSwarm struct {
	allocCancel, browserCancel context.CancelFunc
	browser                    context.Context
	page                       string
	builtin                    bool

	mu                                  sync.Mutex
	tabs                                []*tab
	measuring                           bool
	jitter, proc, decode, rtt, bid, dec []float64
	firstFrame                          []float64
	freezes                             int64
	freezeS                             float64
	lost, received                      int64
	fpsSum                              float64
	fpsN                                int
	bidsSent                            int
	samples                             int
	errs                                []string
	lastJitter, lastProc                map[int]float64
	connected                           map[int]bool
}

// startTabSwarm starts Chromium (headless, fake camera and microphone,
// no sandbox as root, no background networking).
func startTabSwarm(ctx context.Context, chromium, pageURL string, builtin bool) (*tabSwarm, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		// Plain host candidates instead of mDNS names, which the SFU
		// cannot resolve.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,WebRtcHideLocalIpsWithMdns"),
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	browser, browserCancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(browser); err != nil {
		browserCancel()
		allocCancel()
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	return &tabSwarm{allocCancel: allocCancel, browserCancel: browserCancel, browser: browser, page: pageURL,
		builtin: builtin, lastJitter: map[int]float64{}, lastProc: map[int]float64{}, connected: map[int]bool{}}, nil
}

// open opens n tabs at rate per second, each in its own browser context
// (its own cookies, so each tab is its own guest).
func (s *tabSwarm) open(ctx context.Context, n int, rate float64, rep *Report) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		t := &tab{id: i}
		s.mu.Lock()
		s.tabs = append(s.tabs, t)
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.openTab(t); err != nil {
				t.err = err
				rep.noteError(fmt.Sprintf("tab %d: %v", t.id, err))
			}
		}()
		if i < n-1 {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
	}
	wg.Wait()
}

func (s *tabSwarm) openTab(t *tab) error {
	t.ctx, t.cancel = chromedp.NewContext(s.browser, chromedp.WithNewBrowserContext())
	if _, err := chromedp.Call(t.ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: collectorJS}); err != nil {
		return fmt.Errorf("inject collector: %w", err)
	}
	nctx, cancel := context.WithTimeout(t.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(nctx, chromedp.Navigate(s.page)); err != nil {
		return fmt.Errorf("open %s: %w", s.page, err)
	}
	if s.builtin {
		// Replace the plain page with the player; document.open keeps the
		// window, so the collector's hooks stay in place.
		html, _ := json.Marshal(string(playerHTML))
		if _, err := chromedp.Run(nctx, chromedp.Evaluate[bool](
			"document.open(); document.write("+string(html)+"); document.close(); true")); err != nil {
			return fmt.Errorf("write the player page: %w", err)
		}
	}
	return nil
}

// measure turns the accumulation of figures on or off.
func (s *tabSwarm) measure(on bool) {
	s.mu.Lock()
	s.measuring = on
	s.mu.Unlock()
}

// poll collects from every tab every 2 s for d, and has each tab bid every
// bidEvery (0: never).
func (s *tabSwarm) poll(ctx context.Context, d, bidEvery time.Duration) {
	end := time.Now().Add(d)
	collect := time.NewTicker(2 * time.Second)
	defer collect.Stop()
	var bidC <-chan time.Time
	if bidEvery > 0 {
		bt := time.NewTicker(bidEvery)
		defer bt.Stop()
		bidC = bt.C
	}
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return
		case <-collect.C:
			s.collectAll()
		case <-bidC:
			s.bidAll()
		case <-time.After(time.Until(end)):
		}
	}
	s.collectAll()
}
