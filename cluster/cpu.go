package cluster

import (
	"runtime"
	"syscall"
	"time"
)

// cpuMeter measures this process's CPU use between two readings, as a
// fraction of the machine's cores (0 idle, 1 every core busy).
type cpuMeter struct {
	last     time.Duration // user + system CPU at the last reading
	lastWall time.Time
}

// processCPU returns the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// read returns the share of the machine used since the last reading.
func (m *cpuMeter) read(now time.Time) float64 {
	cpu := processCPU()
	defer func() { m.last, m.lastWall = cpu, now }()
	if m.lastWall.IsZero() {
		return 0
	}
	wall := now.Sub(m.lastWall)
	if wall <= 0 {
		return 0
	}
	f := float64(cpu-m.last) / float64(wall) / float64(runtime.NumCPU())
	return min(max(f, 0), 1)
}
