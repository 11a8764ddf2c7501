package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/signaling"
)

// replyFunc receives the ack or error that answers a request, with the
// time it was read.
type replyFunc func(env signaling.Envelope, at time.Time)

// wsConn is one protocol-v1 WebSocket (docs/protocol.md). Requests carry a
// correlation ID and get exactly one reply; everything else (room events,
// viewer counts) goes to onEvent. Writes may come from any goroutine;
// one goroutine reads.
type wsConn struct {
	c       *websocket.Conn
	onEvent func(env signaling.Envelope, at time.Time)
	ids     atomic.Int64

	mu      sync.Mutex
	pending map[string]replyFunc

	done chan struct{}
	err  error // why the read loop ended; read after done is closed
}

// errConnClosed is returned for requests on a connection whose read loop
// has ended.
var errConnClosed = errors.New("websocket closed")

// dialWS opens base's /ws as the user of token (a Bearer access token) and
// starts reading. onEvent is called on the reading goroutine and must not
// block for long; the Data of the envelope it gets is only valid during
// the call.
func dialWS(ctx context.Context, base *url.URL, token string, onEvent func(signaling.Envelope, time.Time)) (*wsConn, error) {
	u := *base
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = strings.TrimRight(u.Path, "/") + "/ws"
	hdr := http.Header{}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(dctx, u.String(), &websocket.DialOptions{HTTPHeader: hdr, HTTPClient: httpClient})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %s: %w", u.String(), resp.Status, err)
		}
		return nil, fmt.Errorf("dial %s: %w", u.String(), err)
	}
	c.SetReadLimit(1 << 20)
	if onEvent == nil {
		onEvent = func(signaling.Envelope, time.Time) {}
	}
	w := &wsConn{c: c, onEvent: onEvent, pending: map[string]replyFunc{}, done: make(chan struct{})}
	go w.readLoop()
	return w, nil
}

func (w *wsConn) readLoop() {
	defer close(w.done)
	// One buffer and one envelope list for the connection's life: the
	// handlers run on this goroutine and read Data before the next message
	// (see dispatch), so a message costs no allocation of its own.
	var buf bytes.Buffer
	var msgs []signaling.Envelope
	for {
		_, r, err := w.c.Reader(context.Background())
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			w.err = err
			w.failPending(err)
			return
		}
		at := time.Now()
		var ok bool
		if msgs, ok = scanMessage(msgs[:0], buf.Bytes()); !ok {
			if msgs, ok = decodeMessage(msgs[:0], buf.Bytes()); !ok {
				continue
			}
		}
		// A room.events list carries several room events, all read now.
		for _, env := range msgs {
			w.dispatch(env, at)
		}
		clear(msgs) // drop references to this message's strings
	}
}

// decodeMessage is scanMessage's fallback through encoding/json, for
// messages outside its subset.
func decodeMessage(dst []signaling.Envelope, b []byte) ([]signaling.Envelope, bool) {
	var frame signaling.Envelope
	if err := json.Unmarshal(b, &frame); err != nil {
		return dst, false
	}
	msgs, err := signaling.Unpack(frame)
	if err != nil {
		return dst, false
	}
	return append(dst, msgs...), true
}

// dispatch hands one message to the request it answers, or to onEvent.
// env.Data may alias the connection's read buffer: handlers that keep it
// past their return must copy it.
func (w *wsConn) dispatch(env signaling.Envelope, at time.Time) {
	// Only replies echo the request's id; a snapshot that precedes a
	// join's ack may carry it too and is an event.
	if env.ID != "" && (env.Type == signaling.TypeAck || env.Type == signaling.TypeError ||
		env.Type == signaling.TypeTimeSync) {
		w.mu.Lock()
		f := w.pending[env.ID]
		delete(w.pending, env.ID)
		w.mu.Unlock()
		if f != nil {
			f(env, at)
			return
		}
	}
	w.onEvent(env, at)
}

// failPending answers every waiting request with a synthetic error.
func (w *wsConn) failPending(err error) {
	w.mu.Lock()
	p := w.pending
	w.pending = map[string]replyFunc{}
	w.mu.Unlock()
	data, _ := json.Marshal(signaling.ErrorData{Code: "closed", Message: err.Error()})
	for id, f := range p {
		f(signaling.Envelope{V: signaling.Version, Type: signaling.TypeError, ID: id, Data: data}, time.Now())
	}
}

// send writes a request with correlation ID id; reply (may be nil) gets
// its answer.
func (w *wsConn) send(ctx context.Context, typ, id string, data any, reply replyFunc) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	b, err := json.Marshal(signaling.Envelope{V: signaling.Version, Type: typ, ID: id, Data: raw})
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	return w.write(ctx, typ, id, b, reply)
}

// write sends the encoded request msg of type typ with correlation ID id;
// reply (may be nil) gets its answer.
func (w *wsConn) write(ctx context.Context, typ, id string, msg []byte, reply replyFunc) error {
	if reply != nil {
		w.mu.Lock()
		select {
		case <-w.done:
			w.mu.Unlock()
			return errConnClosed
		default:
		}
		w.pending[id] = reply
		w.mu.Unlock()
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := w.c.Write(wctx, websocket.MessageText, msg); err != nil {
		w.mu.Lock()
		delete(w.pending, id)
		w.mu.Unlock()
		return fmt.Errorf("send %s: %w", typ, err)
	}
	return nil
}

// request sends and waits for the reply; an error reply is returned as a
// *replyError.
func (w *wsConn) request(ctx context.Context, typ string, data any) (signaling.Envelope, error) {
	id := fmt.Sprintf("r%d", w.ids.Add(1))
	ch := make(chan signaling.Envelope, 1)
	if err := w.send(ctx, typ, id, data, func(env signaling.Envelope, _ time.Time) {
		env.Data = bytes.Clone(env.Data) // it outlives the read buffer
		ch <- env
	}); err != nil {
		return signaling.Envelope{}, err
	}
	select {
	case env := <-ch:
		if env.Type == signaling.TypeError {
			return env, asReplyError(typ, env)
		}
		return env, nil
	case <-ctx.Done():
		return signaling.Envelope{}, fmt.Errorf("%s: %w", typ, ctx.Err())
	}
}

// replyError is an error reply of the server.
type replyError struct {
	Request string
	signaling.ErrorData
}

// Error implements error.
func (e *replyError) Error() string { return fmt.Sprintf("%s: %s: %s", e.Request, e.Code, e.Message) }

func asReplyError(typ string, env signaling.Envelope) error {
	e := &replyError{Request: typ}
	_ = json.Unmarshal(env.Data, &e.ErrorData)
	return e
}

// join joins a room; its snapshot (or replayed events) reach onEvent
// before the ack returns.
func (w *wsConn) join(ctx context.Context, roomID string) error {
	_, err := w.request(ctx, signaling.TypeJoin, signaling.JoinData{RoomID: roomID})
	return err
}

// close closes the connection normally and waits for the read loop.
func (w *wsConn) close() {
	_ = w.c.Close(websocket.StatusNormalClosure, "")
	select {
	case <-w.done:
	case <-time.After(3 * time.Second):
		_ = w.c.CloseNow()
		<-w.done
	}
}
