package loadtest

// BrowserSamples are the browser swarm's raw figures: every tab-interval's
// value (few enough to keep whole, so merged percentiles are exact) and
// the counts, for `loadtest merge`.
type BrowserSamples struct {
	Tabs, Playing, Failed int
	Page                  string
	FirstFrame, Jitter    []float64
	Processing, Decode    []float64
	RTT, BidRTT, BidDec   []float64
	Freezes               int64
	FreezeSeconds         float64
	Lost, Received        int64
	FPSSum                float64
	FPSN                  int
	BidsSent, Samples     int
}

// browserSamples copies the swarm's raw figures; b is its summary (for the
// tab counts).
func (s *tabSwarm) browserSamples(b *BrowsersSummary) *BrowserSamples {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := func(v []float64) []float64 { return append([]float64(nil), v...) }
	return &BrowserSamples{Tabs: b.Tabs, Playing: b.Playing, Failed: b.Failed, Page: b.Page,
		FirstFrame: c(s.firstFrame), Jitter: c(s.jitter), Processing: c(s.proc), Decode: c(s.decode), RTT: c(s.rtt),
		BidRTT: c(s.bid), BidDec: c(s.dec), Freezes: s.freezes, FreezeSeconds: s.freezeS, Lost: s.lost,
		Received: s.received, FPSSum: s.fpsSum, FPSN: s.fpsN, BidsSent: s.bidsSent, Samples: s.samples}
}

// add merges o into s.
func (s *BrowserSamples) add(o *BrowserSamples) {
	s.Tabs += o.Tabs
	s.Playing += o.Playing
	s.Failed += o.Failed
	if s.Page == "" {
		s.Page = o.Page
	}
	s.FirstFrame = append(s.FirstFrame, o.FirstFrame...)
	s.Jitter = append(s.Jitter, o.Jitter...)
	s.Processing = append(s.Processing, o.Processing...)
	s.Decode = append(s.Decode, o.Decode...)
	s.RTT = append(s.RTT, o.RTT...)
	s.BidRTT = append(s.BidRTT, o.BidRTT...)
	s.BidDec = append(s.BidDec, o.BidDec...)
	s.Freezes += o.Freezes
	s.FreezeSeconds += o.FreezeSeconds
	s.Lost += o.Lost
	s.Received += o.Received
	s.FPSSum += o.FPSSum
	s.FPSN += o.FPSN
	s.BidsSent += o.BidsSent
	s.Samples += o.Samples
}

// summary computes the browsers section from the raw figures.
func (s *BrowserSamples) summary() *BrowsersSummary {
	b := &BrowsersSummary{Tabs: s.Tabs, Playing: s.Playing, Failed: s.Failed, Page: s.Page,
		FirstFrame: quantilesOfFloats(s.FirstFrame), JitterBuffer: quantilesOfFloats(s.Jitter),
		Processing: quantilesOfFloats(s.Processing), Decode: quantilesOfFloats(s.Decode), RTT: quantilesOfFloats(s.RTT),
		BidRTT: quantilesOfFloats(s.BidRTT), BidDecision: quantilesOfFloats(s.BidDec), Freezes: s.Freezes,
		FreezeSeconds: s.FreezeSeconds, PacketsLost: s.Lost, PacketsReceived: s.Received, BidsSent: s.BidsSent,
		Samples: s.Samples}
	if s.FPSN > 0 {
		b.FPS = s.FPSSum / float64(s.FPSN)
	}
	return b
}

// mergeBrowsers adds the shards' browser figures up.
func mergeBrowsers(rep *Report, all []*Samples) {
	var out *BrowserSamples
	for _, s := range all {
		if s.Browsers == nil {
			continue
		}
		if out == nil {
			out = &BrowserSamples{}
		}
		out.add(s.Browsers)
	}
	if out != nil {
		rep.Browsers = out.summary()
		rep.samples().Browsers = out
	}
}
