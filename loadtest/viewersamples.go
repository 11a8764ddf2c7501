package loadtest

import "time"

// ViewerSamples are one or more rooms' viewer figures as raw sums, before
// any ratio or percentile is taken. Every ratio in ViewersSummary is a sum
// over these, so rooms and shards merge by adding them up:
//
//   - delivery ratio = Delivered / Offered, where Offered adds, for each
//     viewer, the packets its own room's publisher sent while that viewer
//     was measured (the steady window, or from a spike viewer's join);
//   - bitrate per viewer = VideoBytes / ViewerSeconds, over the same
//     viewer windows, so it compares with the publisher's
//     PublisherBytes / PublisherSeconds (per publisher).
//
// Offered − Delivered counts packets the SFU never forwarded, which
// sequence gaps cannot show: the SFU renumbers what it skips.
type ViewerSamples struct {
	Viewers    int  `json:"viewers"`
	Connected  int  `json:"connected"`
	Failed     int  `json:"failed"`
	NoKeyframe int  `json:"no_keyframe"`
	Audio      bool `json:"audio"`
	PaceKbps   int  `json:"pace_kbps"`
	// Rooms counts the publishers (one per video room).
	Rooms      int     `json:"rooms"`
	SteadySecs float64 `json:"steady_s"`

	ConnectNS  []int64       `json:"connect_ns"`
	FirstKeyNS []int64       `json:"first_key_ns"`
	Latency    HistogramData `json:"latency"`
	Arrival    HistogramData `json:"arrival"`

	Unmatched int64  `json:"unmatched"`
	Expected  uint64 `json:"expected"`
	Lost      uint64 `json:"lost"`

	Delivered     int64   `json:"delivered"`
	Offered       int64   `json:"offered"`
	VideoBytes    int64   `json:"video_bytes"`
	AudioBytes    int64   `json:"audio_bytes"`
	ViewerSeconds float64 `json:"viewer_seconds"`

	PublisherBytes   int64   `json:"publisher_bytes"`
	PublisherSeconds float64 `json:"publisher_seconds"`

	Freezes           int     `json:"freezes"`
	FreezeSeconds     float64 `json:"freeze_s"`
	ViewersWithFreeze int     `json:"viewers_with_freeze"`
	PLIs              int64   `json:"plis"`
	Keyframes         int64   `json:"keyframes"`

	// ReconnectNS are failover moves' outages (a viewer's last packet on
	// its silent node to its first keyframe on another); ReconnectFailed
	// counts moves that found no node within 30 s.
	ReconnectNS     []int64 `json:"reconnect_ns,omitempty"`
	ReconnectFailed int     `json:"reconnect_failed,omitempty"`
	// PublisherMovesNS are the publishers' moves to another node (the
	// last RTCP from the old node to the new session's connection).
	PublisherMovesNS []int64 `json:"publisher_moves_ns,omitempty"`
}

// add merges o into s.
func (s *ViewerSamples) add(o *ViewerSamples) error {
	h, err := histogramOf(s.Latency, o.Latency)
	if err != nil {
		return err
	}
	s.Latency = h.Data()
	if h, err = histogramOf(s.Arrival, o.Arrival); err != nil {
		return err
	}
	s.Arrival = h.Data()
	s.Viewers += o.Viewers
	s.Connected += o.Connected
	s.Failed += o.Failed
	s.NoKeyframe += o.NoKeyframe
	s.Audio = s.Audio || o.Audio
	s.PaceKbps = max(s.PaceKbps, o.PaceKbps)
	s.Rooms += o.Rooms
	s.SteadySecs = max(s.SteadySecs, o.SteadySecs)
	s.ConnectNS = append(s.ConnectNS, o.ConnectNS...)
	s.FirstKeyNS = append(s.FirstKeyNS, o.FirstKeyNS...)
	s.Unmatched += o.Unmatched
	s.Expected += o.Expected
	s.Lost += o.Lost
	s.Delivered += o.Delivered
	s.Offered += o.Offered
	s.VideoBytes += o.VideoBytes
	s.AudioBytes += o.AudioBytes
	s.ViewerSeconds += o.ViewerSeconds
	s.PublisherBytes += o.PublisherBytes
	s.PublisherSeconds += o.PublisherSeconds
	s.Freezes += o.Freezes
	s.FreezeSeconds += o.FreezeSeconds
	s.ViewersWithFreeze += o.ViewersWithFreeze
	s.PLIs += o.PLIs
	s.Keyframes += o.Keyframes
	s.ReconnectNS = append(s.ReconnectNS, o.ReconnectNS...)
	s.ReconnectFailed += o.ReconnectFailed
	s.PublisherMovesNS = append(s.PublisherMovesNS, o.PublisherMovesNS...)
	return nil
}

// summary computes the report's viewers section from the sums.
func (s *ViewerSamples) summary() (*ViewersSummary, error) {
	lat, err := histogramOf(s.Latency)
	if err != nil {
		return nil, err
	}
	arr, err := histogramOf(s.Arrival)
	if err != nil {
		return nil, err
	}
	sv := &ViewersSummary{Viewers: s.Viewers, Connected: s.Connected, Failed: s.Failed, NoKeyframe: s.NoKeyframe,
		Audio: s.Audio, PaceKbps: s.PaceKbps, SteadySecs: s.SteadySecs,
		Connect: quantilesOfDurations(nsDurations(s.ConnectNS)), FirstKey: quantilesOfDurations(nsDurations(s.FirstKeyNS)),
		Latency: quantilesOf(lat), Arrival: quantilesOf(arr), Unmatched: s.Unmatched, Expected: s.Expected, Lost: s.Lost,
		Freezes: s.Freezes, FreezeSeconds: s.FreezeSeconds, ViewersWithFreeze: s.ViewersWithFreeze,
		PublisherPLIs: s.PLIs, PublisherKeyframe: s.Keyframes,
		Reconnect: quantilesOfDurations(nsDurations(s.ReconnectNS)), ReconnectFailed: s.ReconnectFailed,
		PublisherMoves: quantilesOfDurations(nsDurations(s.PublisherMovesNS))}
	if s.Offered > 0 {
		sv.DeliveryRatio = float64(s.Delivered) / float64(s.Offered)
		sv.Undelivered = max(0, s.Offered-s.Delivered)
	}
	if s.ViewerSeconds > 0 {
		sv.BitrateKbps = float64(s.VideoBytes) * 8 / s.ViewerSeconds / 1000
		sv.AudioKbps = float64(s.AudioBytes) * 8 / s.ViewerSeconds / 1000
	}
	if s.PublisherSeconds > 0 {
		sv.PublisherKbps = float64(s.PublisherBytes) * 8 / s.PublisherSeconds / 1000
	}
	return sv, nil
}

// viewerBase is a viewer's and its publisher's counters when the viewer's
// measured window began.
type viewerBase struct {
	at                  time.Time
	pkts, bytes, abytes int64
	pubPkts             int64
	on                  bool // the window began (the viewer was connected)
}
