package sfu

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/pion/dtls/v3"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

// The direct write path. Through Pion, each forwarded packet to each viewer
// walks the track's interceptor chain, the SRTP session (marshal into a
// pooled buffer, encrypt), the DTLS mux endpoint, the ICE connection, the
// candidate pair and the UDP mux (address lookups and atomics) before the
// batch copies it: about a fifth of the server's CPU at 200 viewers, more
// than the encryption itself. A viewer whose selected ICE pair is UDP on
// the shared socket instead gets its own SRTP context, keyed from the same
// DTLS connection as Pion's (RFC 5764 exporter), and each packet is
// marshalled and encrypted in place straight into the writer's sendmmsg
// batch, addressed to the pair's remote address.
//
// Pion does not export a DTLS transport's connection, so it is read from
// the transport's unexported field with reflect; if that ever fails (a
// Pion upgrade renamed it), setup returns an error and the viewer keeps
// Pion's path (TestDirectSRTPInUse notices). Once a viewer's track has
// sent one packet directly, its SSRC never goes through Pion's SRTP
// context again: the two contexts would encrypt different packets under
// the same (SSRC, index) nonce. A viewer whose pair moves off UDP after that
// (rare: ICE-TCP is chosen at connect time) is closed, so that its client
// reconnects; one on ICE-TCP from the start uses Pion's path throughout.

// errNoRoute is a direct write to a viewer whose ICE pair is not UDP.
var errNoRoute = errors.New("sfu: viewer's ICE pair is not UDP on the shared socket")

// directRoute is where a viewer session's datagrams go: the remote address
// of its selected ICE pair, while that pair is UDP on the shared socket.
type directRoute struct {
	dst atomic.Pointer[netip.AddrPort] // nil: not a UDP pair
}

// set follows a newly selected pair.
func (r *directRoute) set(p *webrtc.ICECandidatePair) {
	if p == nil || p.Local == nil || p.Remote == nil ||
		p.Local.Protocol != webrtc.ICEProtocolUDP || p.Remote.Protocol != webrtc.ICEProtocolUDP {
		r.dst.Store(nil)
		return
	}
	a, err := netip.ParseAddr(p.Remote.Address)
	if err != nil {
		r.dst.Store(nil)
		return
	}
	ap := netip.AddrPortFrom(a, p.Remote.Port)
	r.dst.Store(&ap)
}

// directSRTP encrypts one down track's packets with its own SRTP context.
// mu serializes the writer goroutine and the RTCP goroutine's
// retransmissions; it also guards the fields seal reads.
type directSRTP struct {
	mu      sync.Mutex
	ctx     *srtp.Context
	route   *directRoute
	hdr     *rtp.Header
	payload []byte
	scratch []byte     // for a datagram that does not go into a batch (made on first use)
	parsed  rtp.Header // EncryptRTP's unmarshalled copy of hdr
}

// write sends one RTP packet to the viewer: into writer w's open batch when
// there is one, else at once.
func (x *directSRTP) write(c *batchConn, w int, h *rtp.Header, payload []byte) error {
	dst := x.route.dst.Load()
	if dst == nil {
		return errNoRoute
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.hdr, x.payload = h, payload
	defer func() { x.hdr, x.payload = nil, nil }()
	if ok, err := c.appendSealed(w, *dst, x); ok {
		return err
	}
	if x.scratch == nil {
		x.scratch = make([]byte, slotSize)
	}
	n, err := x.seal(x.scratch)
	if err != nil {
		return err
	}
	_, err = c.conn.WriteToUDPAddrPort(x.scratch[:n], *dst)
	return err
}

// seal marshals hdr and payload into buf and encrypts them in place; it
// returns the datagram's length. Callers hold mu.
func (x *directSRTP) seal(buf []byte) (int, error) {
	n, err := marshalRTP(buf, x.hdr, x.payload)
	if err != nil {
		return 0, fmt.Errorf("marshal RTP: %w", err)
	}
	out, err := x.ctx.EncryptRTP(buf[:n], buf[:n], &x.parsed)
	if err != nil {
		return 0, fmt.Errorf("encrypt RTP: %w", err)
	}
	if len(out) > 0 && &out[0] != &buf[0] {
		return 0, errors.New("sfu: SRTP datagram does not fit its slot")
	}
	return len(out), nil
}

// marshalRTP writes header h, payload and h's padding (PaddingSize bytes,
// the last holding the count) into buf and returns the packet's length.
func marshalRTP(buf []byte, h *rtp.Header, payload []byte) (int, error) {
	n, err := h.MarshalTo(buf)
	if err != nil {
		return 0, err
	}
	pad := int(h.PaddingSize)
	if n+len(payload)+pad > len(buf) {
		return 0, io.ErrShortBuffer
	}
	n += copy(buf[n:], payload)
	clear(buf[n : n+pad])
	if h.Padding && pad > 0 {
		buf[n+pad-1] = byte(pad)
	}
	return n + pad, nil
}

// sessionKeys are a viewer session's outgoing SRTP keys and options.
type sessionKeys struct {
	profile   srtp.ProtectionProfile
	key, salt []byte
	opts      []srtp.ContextOption
}

// context makes a fresh SRTP context with the session's outgoing keys.
func (k *sessionKeys) context() (*srtp.Context, error) {
	ctx, err := srtp.CreateContext(k.key, k.salt, k.profile, k.opts...)
	if err != nil {
		return nil, fmt.Errorf("srtp context: %w", err)
	}
	return ctx, nil
}

// localSRTPKeys exports the outgoing SRTP keys of a connected peer from its
// DTLS connection, as Pion does when it starts SRTP, with the same cryptex
// mode (which changes nothing here: forwarded packets carry no header
// extension and no CSRC, the only parts cryptex encrypts).
func localSRTPKeys(pc *webrtc.PeerConnection, t *webrtc.DTLSTransport) (*sessionKeys, error) {
	if t == nil {
		return nil, errors.New("no DTLS transport")
	}
	v := reflect.ValueOf(t).Elem()
	connF, profF, cryptexF := v.FieldByName("conn"), v.FieldByName("srtpProtectionProfile"), v.FieldByName("localCryptexMode")
	if !connF.IsValid() || !profF.IsValid() || !cryptexF.IsValid() || !profF.CanUint() || !cryptexF.CanInt() {
		return nil, errors.New("pion's DTLSTransport has changed: no conn, srtpProtectionProfile or localCryptexMode")
	}
	var opts []srtp.ContextOption
	if m := srtp.CryptexMode(cryptexF.Int()); m == srtp.CryptexModeEnabled || m == srtp.CryptexModeRequired {
		opts = append(opts, srtp.Cryptex(m))
	}
	conn, ok := reflect.NewAt(connF.Type(), unsafe.Pointer(connF.UnsafeAddr())).Elem().Interface().(*dtls.Conn)
	if !ok || conn == nil {
		return nil, errors.New("pion's DTLSTransport has no *dtls.Conn")
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return nil, errors.New("no DTLS connection state")
	}
	client, err := dtlsClient(pc)
	if err != nil {
		return nil, err
	}
	cfg := srtp.Config{Profile: srtp.ProtectionProfile(profF.Uint())}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, client); err != nil {
		return nil, fmt.Errorf("export SRTP keys: %w", err)
	}
	return &sessionKeys{profile: cfg.Profile, key: cfg.Keys.LocalMasterKey, salt: cfg.Keys.LocalMasterSalt, opts: opts}, nil
}

// dtlsClient tells from the server's answer whether it took the DTLS
// client role (a=setup:active) or the server role (a=setup:passive).
func dtlsClient(pc *webrtc.PeerConnection) (bool, error) {
	d := pc.CurrentLocalDescription()
	if d == nil {
		return false, errors.New("no local description")
	}
	active, passive := strings.Contains(d.SDP, "a=setup:active"), strings.Contains(d.SDP, "a=setup:passive")
	if active == passive {
		return false, errors.New("no single DTLS role in the local description")
	}
	return active, nil
}

// setupDirect gives a connected viewer session's tracks the direct path,
// when batching is on and its ICE pair is UDP. Otherwise, or on any error,
// the tracks keep Pion's path.
func (s *session) setupDirect(downs []*downTrack) error {
	c := s.srv.tr.batch
	if c == nil || !c.batching() || s.srv.cfg.DisableDirectSRTP || len(downs) == 0 {
		return nil
	}
	sender := downs[0].sender
	if sender == nil {
		return errors.New("no RTP sender")
	}
	t := sender.Transport()
	keys, err := localSRTPKeys(s.pc, t)
	if err != nil {
		return err
	}
	route := &directRoute{}
	var installed atomic.Bool
	lost := func() {
		if installed.Load() && route.dst.Load() == nil {
			s.srv.log.Info("sfu viewer's ICE pair left UDP after direct SRTP; closing it so that it reconnects", "session", s.id)
			s.srv.goAsync(s.close)
		}
	}
	ice := t.ICETransport()
	ice.OnSelectedCandidatePairChange(func(p *webrtc.ICECandidatePair) {
		route.set(p)
		lost()
	})
	pair, err := ice.GetSelectedCandidatePair()
	if err != nil {
		return fmt.Errorf("selected ICE pair: %w", err)
	}
	route.set(pair)
	if route.dst.Load() == nil {
		return nil // ICE-TCP: Pion's path
	}
	for _, d := range downs {
		ctx, err := keys.context()
		if err != nil {
			return err
		}
		d.direct.Store(&directSRTP{ctx: ctx, route: route})
	}
	installed.Store(true)
	lost() // the pair may have changed meanwhile
	return nil
}
