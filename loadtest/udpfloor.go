package loadtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// UDPFloorConfig configures RunUDPFloor.
type UDPFloorConfig struct {
	Sockets  int           // receiving sockets (stand-ins for viewers)
	PPS      int           // datagrams per second per socket
	Size     int           // datagram bytes
	Duration time.Duration // sending time
	BasePort int           // first receiving port on 127.0.0.1
	Out      io.Writer
}

// RunUDPSink opens cfg.Sockets loopback sockets from cfg.BasePort and reads
// them until ctx ends. Run it as its own process so that RunUDPFloor's CPU
// is the sender's alone.
func RunUDPSink(ctx context.Context, cfg UDPFloorConfig) error {
	var conns []*net.UDPConn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < cfg.Sockets; i++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: cfg.BasePort + i})
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		conns = append(conns, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := make([]byte, 2048)
			for {
				if _, _, err := c.ReadFromUDP(b); err != nil {
					return
				}
			}
		}()
	}
	<-ctx.Done()
	for _, c := range conns {
		_ = c.Close()
	}
	wg.Wait()
	return nil
}

// RunUDPFloor sends datagrams round-robin to the sink's sockets, one
// sendto per datagram as an SFU does per viewer, and reports this process's
// CPU per datagram: the kernel's loopback cost, a floor under any SFU's CPU
// per viewer on the same machine.
func RunUDPFloor(ctx context.Context, cfg UDPFloorConfig) error {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer c.Close()
	addrs := make([]*net.UDPAddr, cfg.Sockets)
	for i := range addrs {
		addrs[i] = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: cfg.BasePort + i}
	}
	buf := make([]byte, cfg.Size)
	c0, err := ReadProc(0)
	if err != nil {
		return err
	}
	tick := time.NewTicker(time.Second / time.Duration(cfg.PPS))
	defer tick.Stop()
	sent := 0
	for time.Since(c0.At) < cfg.Duration {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		for _, a := range addrs {
			if _, err := c.WriteToUDP(buf, a); err == nil {
				sent++
			}
		}
	}
	c1, err := ReadProc(0)
	if err != nil {
		return err
	}
	cpu := c1.CPU - c0.CPU
	secs := c1.At.Sub(c0.At).Seconds()
	fmt.Fprintf(cfg.Out, "summary datagrams=%d size=%d sockets=%d pps_per_socket=%d cpu_us_per_datagram=%.2f cpu_ms_per_socket_s=%.3f\n",
		sent, cfg.Size, cfg.Sockets, cfg.PPS, float64(cpu.Microseconds())/float64(max(sent, 1)),
		float64(cpu)/float64(time.Millisecond)/(float64(cfg.Sockets)*secs))
	return nil
}
