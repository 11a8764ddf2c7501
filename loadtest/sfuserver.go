package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/bidcast/bidcast/sfu"
)

// SFUServerConfig configures RunSFUServer.
type SFUServerConfig struct {
	Addr       string // HTTP address for WHIP/WHEP and /debug/pprof
	ICEUDPAddr string // shared ICE UDP port
	NoBatching bool   // one sendto per datagram instead of sendmmsg batches
	NoGSO      bool   // sendmmsg batches without UDP GSO
	NoDirect   bool   // every packet through Pion's write chain (no direct SRTP)
	Logger     *slog.Logger
}

// RunSFUServer serves a bare SFU with an allow-all authorizer until ctx
// ends. It exists so the SFU can be measured as its own process; it also
// serves /debug/pprof for profiling under load and /debug/sfu/stats (sfu.Server.Stats as JSON). Loopback only.
func RunSFUServer(ctx context.Context, cfg SFUServerConfig) error {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("addr: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("sfuserver listens on loopback only, not %q", host)
	}
	srv, err := sfu.New(sfu.Config{
		ICEUDPAddr: cfg.ICEUDPAddr, ICETCPAddr: "off", LoopbackCandidates: true, Logger: cfg.Logger,
		DisableBatching: cfg.NoBatching, DisableGSO: cfg.NoGSO, DisableDirectSRTP: cfg.NoDirect,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	h := sfu.NewHTTPHandler(srv, &sfu.StaticAuthorizer{AllowAll: true})
	mux := http.NewServeMux()
	mux.Handle("/whip/", h)
	mux.Handle("/whep/", h)
	mux.HandleFunc("/debug/sfu/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(srv.Stats())
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Addr: cfg.Addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	cfg.Logger.Info("sfuserver listening", "addr", cfg.Addr, "ice_udp", srv.ICEUDPAddr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
