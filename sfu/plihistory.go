package sfu

import (
	"sync/atomic"
	"time"
)

// pliAnswerWindow is how soon after a keyframe request a keyframe must
// arrive to count as its answer. Browsers answer within a round trip and
// an encode; a publisher that ignores requests (aiortc's H.264 encoder)
// sends its next keyframe whenever its own interval ends.
const pliAnswerWindow = int64(500 * time.Millisecond)

// pliAnswersToTrust is how many requests in a row must be answered before
// a track counts as answering: a publisher that ignores requests but sends
// a keyframe every few seconds answers one by chance now and then.
const pliAnswersToTrust = 2

// pliHistory learns whether a publisher track answers keyframe requests,
// which decides how a viewer joining an old group of pictures starts: from
// the next keyframe (a fresh one is on its way) or from the cache squeezed
// to the live edge (none may come for seconds). A track is trusted once
// pliAnswersToTrust requests in a row were answered within
// pliAnswerWindow, and never again after one went unanswered: a mistaken
// distrust costs a replay, a mistaken trust a viewer's wait.
//
// Times are Server.now() values. Safe for concurrent use.
type pliHistory struct {
	pending  atomic.Int64 // when the oldest unanswered request was sent; 0: none
	answered atomic.Int32 // requests answered in a row
	ignored  atomic.Bool  // a request went unanswered
}

// sent records a keyframe request sent at now.
func (h *pliHistory) sent(now int64) {
	h.pending.CompareAndSwap(0, max(now, 1))
}

// keyframe records a keyframe start received at now.
func (h *pliHistory) keyframe(now int64) {
	sent := h.pending.Swap(0)
	switch {
	case sent == 0:
	case now-sent <= pliAnswerWindow:
		h.answered.Add(1)
	default:
		h.ignored.Store(true)
	}
}

// answers reports, at now, whether the track has proven to answer keyframe
// requests.
func (h *pliHistory) answers(now int64) bool {
	if sent := h.pending.Load(); sent != 0 && now-sent > pliAnswerWindow {
		h.ignored.Store(true)
	}
	return !h.ignored.Load() && h.answered.Load() >= pliAnswersToTrust
}
