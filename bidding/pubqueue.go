package bidding

import "sync"

// pubQueueKeep is the most slots an empty queue keeps for the next
// events. A burst may grow the queue up to publisherBuffer items; once it
// is drained, a larger array is let go, so a room that was busy once does
// not hold it for the rest of its life.
const pubQueueKeep = 64

// pubQueue holds the events a room's actor emitted until its publisher
// takes them, in order. It grows with what is queued, up to
// publisherBuffer items, instead of reserving that much for every room: a
// fixed channel of publisherBuffer items was 2.7 MB a live room, all of it
// scanned by every garbage collection (issue 18's storm over 100 rooms
// kept ~275 MB of such buffers live, and each collection's mark phase
// took ~90 ms of one of the two cores).
//
// push never blocks; one goroutine takes.
type pubQueue struct {
	mu    sync.Mutex
	items []pubItem
	head  int // items[head:] are queued
	// ready holds a token whenever items may be queued: push leaves one,
	// and take's caller is told to wait for the next only once the queue
	// is empty.
	ready chan struct{}
}

func newPubQueue() *pubQueue {
	return &pubQueue{ready: make(chan struct{}, 1)}
}

// push queues it and reports whether there was room for it.
func (q *pubQueue) push(it pubItem) bool {
	q.mu.Lock()
	if len(q.items)-q.head >= publisherBuffer {
		q.mu.Unlock()
		return false
	}
	if q.head > 0 && len(q.items) == cap(q.items) {
		// Reuse the taken front before growing the array.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.signal()
	return true
}

// signal leaves a token in ready unless one is there already.
func (q *pubQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take appends up to max queued items to dst, oldest first, and returns
// it; when items remain queued it leaves a token in ready, so the taker's
// next wait returns at once.
func (q *pubQueue) take(dst []pubItem, max int) []pubItem {
	q.mu.Lock()
	n := min(len(q.items)-q.head, max)
	dst = append(dst, q.items[q.head:q.head+n]...)
	clear(q.items[q.head : q.head+n]) // drop the references the queue no longer needs
	q.head += n
	more := q.head < len(q.items)
	if !more {
		q.head = 0
		if cap(q.items) > pubQueueKeep {
			q.items = nil
		} else {
			q.items = q.items[:0]
		}
	}
	q.mu.Unlock()
	if more {
		q.signal()
	}
	return dst
}

// queued is how many items are queued.
func (q *pubQueue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}
