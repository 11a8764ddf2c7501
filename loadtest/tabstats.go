package loadtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// live returns the tabs that opened.
func (s *tabSwarm) live() []*tab {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*tab
	for _, t := range s.tabs {
		if t.err == nil && t.ctx != nil {
			out = append(out, t)
		}
	}
	return out
}

// collectAll reads every tab's collector in parallel.
func (s *tabSwarm) collectAll() {
	var wg sync.WaitGroup
	for _, t := range s.live() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(t.ctx, 5*time.Second)
			defer cancel()
			st, err := chromedp.Run(ctx, chromedp.Evaluate[*tabStats](
				`window.__bidcastLT ? window.__bidcastLT.collect() : null`, chromedp.EvalAwaitPromise))
			if err != nil {
				s.noteErr(fmt.Sprintf("tab %d: collect: %v", t.id, err))
				return
			}
			if st != nil {
				s.record(t, st)
			}
		}()
	}
	wg.Wait()
}

// bidAll has every tab place one bid through the page.
func (s *tabSwarm) bidAll() {
	for _, t := range s.live() {
		go func() {
			ctx, cancel := context.WithTimeout(t.ctx, 3*time.Second)
			defer cancel()
			how, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__bidcastLT ? window.__bidcastLT.bid() : 'none'`))
			s.mu.Lock()
			defer s.mu.Unlock()
			if err == nil && (how == "socket" || how == "hook") && s.measuring {
				s.bidsSent++
			}
		}()
	}
}

func (s *tabSwarm) noteErr(e string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) < 20 {
		s.errs = append(s.errs, e)
	}
}

// record adds one interval of one tab.
func (s *tabSwarm) record(t *tab, st *tabStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range st.Errors {
		if len(s.errs) < 20 {
			s.errs = append(s.errs, fmt.Sprintf("tab %d page: %s", t.id, e))
		}
	}
	s.connected[t.id] = st.Connected > 0
	if st.FirstFrameMs > 0 && !t.playing {
		t.playing = true
		s.firstFrame = append(s.firstFrame, st.FirstFrameMs)
	}
	for _, v := range st.Video {
		if v.JitterMs != nil {
			s.lastJitter[t.id] = *v.JitterMs
		}
		if v.ProcessingMs != nil {
			s.lastProc[t.id] = *v.ProcessingMs
		}
		if !s.measuring {
			continue
		}
		s.samples++
		if v.JitterMs != nil {
			s.jitter = append(s.jitter, *v.JitterMs)
		}
		if v.ProcessingMs != nil {
			s.proc = append(s.proc, *v.ProcessingMs)
		}
		if v.DecodeMs != nil {
			s.decode = append(s.decode, *v.DecodeMs)
		}
		if v.RTTMs != nil {
			s.rtt = append(s.rtt, *v.RTTMs)
		}
		if v.Frames > 0 {
			t.lastSeen = time.Now()
		}
		s.freezes += int64(v.Freezes)
		s.freezeS += v.FreezeS
		s.lost += int64(v.Lost)
		s.received += int64(v.Received)
		s.fpsSum += v.FPS
		s.fpsN++
	}
	if !s.measuring {
		return
	}
	for _, b := range st.BidRTT {
		s.bid = append(s.bid, b.Ms)
	}
	for _, d := range st.Decisions {
		s.dec = append(s.dec, d.Ms)
	}
}

// fill adds the tabs' latest figures to a time-series point.
func (s *tabSwarm) fill(p *Point, _ time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.connected {
		if c {
			p.Viewers++
		}
	}
	mean := func(m map[int]float64) float64 {
		if len(m) == 0 {
			return 0
		}
		var sum float64
		for _, v := range m {
			sum += v
		}
		return sum / float64(len(m))
	}
	p.JitterMs, p.ProcessingMs = mean(s.lastJitter), mean(s.lastProc)
}

// summarise fills the browsers section.
func (s *tabSwarm) summarise(b *BrowsersSummary) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tabs {
		switch {
		case t.err != nil:
			b.Failed++
		case !t.lastSeen.IsZero():
			b.Playing++
		}
	}
	b.FirstFrame = quantilesOfFloats(s.firstFrame)
	b.JitterBuffer, b.Processing = quantilesOfFloats(s.jitter), quantilesOfFloats(s.proc)
	b.Decode, b.RTT = quantilesOfFloats(s.decode), quantilesOfFloats(s.rtt)
	b.BidRTT, b.BidDecision = quantilesOfFloats(s.bid), quantilesOfFloats(s.dec)
	b.Freezes, b.FreezeSeconds = s.freezes, s.freezeS
	b.PacketsLost, b.PacketsReceived = s.lost, s.received
	if s.fpsN > 0 {
		b.FPS = s.fpsSum / float64(s.fpsN)
	}
	b.BidsSent, b.Samples = s.bidsSent, s.samples
}

func (s *tabSwarm) errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

// close closes every tab and the browser.
func (s *tabSwarm) close() {
	s.mu.Lock()
	tabs := s.tabs
	s.mu.Unlock()
	for _, t := range tabs {
		if t.cancel != nil {
			t.cancel()
		}
	}
	s.browserCancel()
	s.allocCancel()
}
