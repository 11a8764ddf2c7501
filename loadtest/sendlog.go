package loadtest

import (
	"hash/maphash"
	"sync"
	"time"
)

// sendLog maps a payload hash to the time it was sent. The SFU forwards
// payloads byte for byte, so a viewer finds the send time of any packet it
// receives without the SFU's help, on the same monotonic clock.
type sendLog struct {
	seed  maphash.Seed
	epoch time.Time
	mu    sync.RWMutex
	at    map[uint64]int64
}

func newSendLog() *sendLog {
	return &sendLog{seed: maphash.MakeSeed(), epoch: time.Now(), at: make(map[uint64]int64, 4096)}
}

// now is the time since the log began; a nil log (a publisher that does
// not measure latency, like the server's demo) keeps nothing.
func (l *sendLog) now() int64 {
	if l == nil {
		return 0
	}
	return int64(time.Since(l.epoch))
}

// wall converts a time on the log's clock to Unix nanoseconds, the clock
// of the kernel's receive stamps.
func (l *sendLog) wall(at int64) int64 { return l.epoch.UnixNano() + at }

func (l *sendLog) put(payload []byte, at int64) {
	if l == nil {
		return
	}
	h := maphash.Bytes(l.seed, payload)
	l.mu.Lock()
	l.at[h] = at
	l.mu.Unlock()
}

func (l *sendLog) get(payload []byte) (int64, bool) {
	h := maphash.Bytes(l.seed, payload)
	l.mu.RLock()
	at, ok := l.at[h]
	l.mu.RUnlock()
	return at, ok
}

// record is the publisher's send hook: it notes when payload left.
func (l *sendLog) record(payload []byte) { l.put(payload, l.now()) }
