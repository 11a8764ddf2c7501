package sfu

import (
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"time"
)

// Config configures a Server. The zero value of every field means "use the
// default"; call Validate (New does) to apply defaults and check values.
type Config struct {
	// ICEUDPAddr is the one UDP address every ICE session shares (ICE UDP mux),
	// so a firewall needs a single port open. Default "127.0.0.1:8443":
	// loopback, like every other listener, until configured otherwise.
	ICEUDPAddr string
	// ICETCPAddr is the one TCP address for ICE-TCP, the fallback for networks
	// that block UDP. Empty after defaults means "127.0.0.1:8443"; "off"
	// disables it.
	ICETCPAddr string
	// PublicIPs are the 1:1 NAT addresses advertised instead of the host's
	// own addresses (cloud VMs behind a static NAT). Empty: advertise the host
	// addresses.
	PublicIPs []string
	// ICEServers are the STUN/TURN servers handed to clients in WHIP/WHEP Link
	// headers (and by the gateway). The SFU itself needs none.
	ICEServers []ICEServer
	// TURN, when it has URLs, adds a TURN server with a credential minted
	// for each client (see TURNConfig) to ICEServers.
	TURN TURNConfig
	// LoopbackCandidates offers 127.0.0.1/::1 candidates. Off in production;
	// tests and load tests turn it on because they connect over loopback.
	// It is implied when ICEUDPAddr is a loopback address: no other
	// candidate could reach the SFU then.
	LoopbackCandidates bool
	// PionLogLevel is the least level of Pion's own messages (ICE, DTLS,
	// SCTP) that reach Logger, in Pion's terms: slog.LevelDebug-4 is Pion's
	// trace. Nil means slog.LevelWarn: Pion's warnings and errors, except
	// the routine ones a peer's teardown produces (logged at debug).
	PionLogLevel slog.Leveler

	// DisableBatching sends every datagram with its own system call instead
	// of sendmmsg batches (for comparison and debugging).
	DisableBatching bool
	// DisableGSO sends each datagram of a batch as its own message even
	// where the kernel supports UDP GSO (for comparison and debugging).
	DisableGSO bool
	// DisableDirectSRTP sends every packet through Pion's write chain
	// instead of encrypting it straight into the batch (directsrtp.go),
	// for comparison and debugging.
	DisableDirectSRTP bool

	// Writers is the number of fan-out writer goroutines. Default GOMAXPROCS.
	Writers int
	// WriterQueue is the capacity of each writer's channel, in packets. When a
	// shard's queue is full its viewers drop to the next keyframe instead of
	// delaying the reader. Default 512.
	WriterQueue int
	// PLIInterval is the minimum time between two keyframe requests sent to a
	// publisher track. Default 500 ms.
	PLIInterval time.Duration
	// KeyframeCacheMaxAge is how old the cached group of pictures may be and
	// still be replayed to a joining viewer with its own timing. Default
	// 500 ms: such a replay starts the viewer at once but up to this much
	// behind live (browsers catch up gradually). For an older group a
	// keyframe is requested, and the viewer waits for it when the publisher
	// has proven to answer such requests; otherwise the group is replayed
	// squeezed (its frames one timestamp tick apart, ending at the live
	// edge, so the viewer decodes them all and shows the newest at once).
	KeyframeCacheMaxAge time.Duration
	// GOPCacheBytes bounds the memory of each video track's cache of the
	// packets since its last keyframe, counting every packet's whole pooled
	// buffer (about 1.6 KB). Default 4 MiB (about 2,600 packets: 8 s at
	// 3 Mbit/s). A longer group of pictures is not cached, and a viewer
	// joining it waits for a keyframe from the publisher.
	GOPCacheBytes int
	// NACKBufferVideo and NACKBufferAudio are the retransmission ring sizes in
	// packets (rounded up to a power of two). Defaults 1024 and 128.
	NACKBufferVideo int
	NACKBufferAudio int
	// LatencyWarn logs a warning (at most every LatencyWarnEvery) when a packet
	// spent longer than this between being read and being written. Default 20 ms.
	LatencyWarn      time.Duration
	LatencyWarnEvery time.Duration
	// SlowWrite is how long one write to a viewer may block before that
	// viewer is skipped to its next keyframe. Default 50 ms: long enough that
	// a writer descheduled on a busy machine is not mistaken for a slow viewer.
	SlowWrite time.Duration
	// MaxViewers bounds the viewer sessions of the whole server. Default
	// 10000. Publishers are counted apart (MaxPublishers), so however many
	// viewers connect, a seller can always go live.
	MaxViewers int
	// MaxPublishers bounds the publisher sessions (one per live room).
	// Default 1000.
	MaxPublishers int
	// ICEDisconnectedTimeout and ICEFailedTimeout decide how fast a vanished
	// peer is noticed (a seller whose phone died frees the room after
	// disconnected+failed). Defaults 5 s and 10 s.
	ICEDisconnectedTimeout time.Duration
	ICEFailedTimeout       time.Duration
	// NewEstimator builds the bandwidth estimator of each viewer; nil means the
	// built-in REMB and loss based estimator. Tests inject fakes here.
	NewEstimator func() BandwidthEstimator
	// StatsInterval is how often bitrates are sampled and simulcast layers
	// re-chosen. Default 1 s.
	StatsInterval time.Duration
	// Logger receives the SFU's and Pion's logs. Default slog.Default().
	Logger *slog.Logger

	// mediaWait is the longest a new viewer waits for the kinds a new
	// publisher announced (waitForMedia); 3 s. Tests lengthen it so that a
	// wait would show.
	mediaWait time.Duration
}

// ICEServer is a STUN or TURN server given to clients.
type ICEServer struct {
	URLs       []string
	Username   string
	Credential string
}

// DefaultICEAddr is the default of ICEUDPAddr and ICETCPAddr.
const DefaultICEAddr = "127.0.0.1:8443"

// isLoopback reports whether addr's host is a loopback IP.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Validate applies defaults to zero fields and reports the first invalid
// value, wrapped in ErrInvalidConfig.
func (c *Config) Validate() error {
	setDefault(&c.ICEUDPAddr, DefaultICEAddr)
	setDefault(&c.ICETCPAddr, DefaultICEAddr)
	if c.PionLogLevel == nil {
		c.PionLogLevel = slog.LevelWarn
	}
	if isLoopback(c.ICEUDPAddr) {
		c.LoopbackCandidates = true
	}
	setDefault(&c.Writers, runtime.GOMAXPROCS(0))
	setDefault(&c.mediaWait, 3*time.Second)
	setDefault(&c.WriterQueue, 512)
	setDefault(&c.PLIInterval, 500*time.Millisecond)
	setDefault(&c.KeyframeCacheMaxAge, 500*time.Millisecond)
	setDefault(&c.GOPCacheBytes, 4<<20)
	setDefault(&c.NACKBufferVideo, 1024)
	setDefault(&c.NACKBufferAudio, 128)
	setDefault(&c.LatencyWarn, 20*time.Millisecond)
	setDefault(&c.LatencyWarnEvery, 10*time.Second)
	setDefault(&c.SlowWrite, 50*time.Millisecond)
	setDefault(&c.MaxViewers, 10000)
	setDefault(&c.MaxPublishers, 1000)
	setDefault(&c.ICEDisconnectedTimeout, 5*time.Second)
	setDefault(&c.ICEFailedTimeout, 10*time.Second)
	setDefault(&c.StatsInterval, time.Second)
	setDefault(&c.Logger, slog.Default())

	if err := checkAddr("ICEUDPAddr", c.ICEUDPAddr); err != nil {
		return err
	}
	if c.ICETCPAddr != "off" {
		if err := checkAddr("ICETCPAddr", c.ICETCPAddr); err != nil {
			return err
		}
	}
	for _, ip := range c.PublicIPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("%w: PublicIPs: %q is not an IP address", ErrInvalidConfig, ip)
		}
	}
	for _, s := range c.ICEServers {
		if len(s.URLs) == 0 {
			return fmt.Errorf("%w: ICEServers: entry without URLs", ErrInvalidConfig)
		}
		for _, u := range s.URLs {
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") &&
				!strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
				return fmt.Errorf("%w: ICEServers: %q is not a stun:/turn: URL", ErrInvalidConfig, u)
			}
		}
	}
	if err := c.TURN.validate(); err != nil {
		return err
	}
	switch {
	case c.Writers < 1 || c.Writers > 256:
		return fmt.Errorf("%w: Writers must be 1..256, got %d", ErrInvalidConfig, c.Writers)
	case c.WriterQueue < 16:
		return fmt.Errorf("%w: WriterQueue must be >= 16, got %d", ErrInvalidConfig, c.WriterQueue)
	case c.PLIInterval < 0 || c.KeyframeCacheMaxAge < 0 || c.LatencyWarn < 0 || c.LatencyWarnEvery < 0 || c.SlowWrite < 0:
		return fmt.Errorf("%w: durations must not be negative", ErrInvalidConfig)
	case c.GOPCacheBytes < 0:
		return fmt.Errorf("%w: GOPCacheBytes must not be negative, got %d", ErrInvalidConfig, c.GOPCacheBytes)
	case c.NACKBufferVideo < 16 || c.NACKBufferVideo > 1<<15 || c.NACKBufferAudio < 16 || c.NACKBufferAudio > 1<<15:
		return fmt.Errorf("%w: NACK buffers must be 16..32768 packets", ErrInvalidConfig)
	case c.MaxViewers < 1 || c.MaxPublishers < 1:
		return fmt.Errorf("%w: MaxViewers and MaxPublishers must be positive", ErrInvalidConfig)
	case c.ICEDisconnectedTimeout < 0 || c.ICEFailedTimeout < 0 || c.StatsInterval < 0:
		return fmt.Errorf("%w: durations must not be negative", ErrInvalidConfig)
	}
	return nil
}

// setDefault sets *p to v if it is the zero value.
func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

func checkAddr(field, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidConfig, field, err)
	}
	if host != "" && net.ParseIP(host) == nil {
		return fmt.Errorf("%w: %s: host %q must be an IP address", ErrInvalidConfig, field, host)
	}
	if port == "" {
		return fmt.Errorf("%w: %s: missing port", ErrInvalidConfig, field)
	}
	return nil
}
