package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, 100 on every Linux architecture Go supports.
const clockTick = 100

// ProcSample is one reading of a process's CPU time and memory.
type ProcSample struct {
	At     time.Time
	CPU    time.Duration // user + system
	RSS    uint64        // bytes
	HWM    uint64        // peak RSS, bytes
	Exists bool
}

// ReadProc samples /proc/<pid>; pid 0 means this process.
func ReadProc(pid int) (ProcSample, error) {
	p := "self"
	if pid != 0 {
		p = strconv.Itoa(pid)
	}
	s := ProcSample{At: time.Now()}
	stat, err := os.ReadFile("/proc/" + p + "/stat")
	if err != nil {
		return s, fmt.Errorf("read /proc/%s/stat: %w", p, err)
	}
	// The command name may contain spaces; fields start after ')'.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return s, fmt.Errorf("parse /proc/%s/stat", p)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("parse /proc/%s/stat: %d fields", p, len(f))
	}
	utime, _ := strconv.ParseUint(f[11], 10, 64)
	stime, _ := strconv.ParseUint(f[12], 10, 64)
	s.CPU = time.Duration(utime+stime) * time.Second / clockTick
	fh, err := os.Open("/proc/" + p + "/status")
	if err != nil {
		return s, fmt.Errorf("read /proc/%s/status: %w", p, err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line := sc.Text()
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) < 1 {
			continue
		}
		kb, _ := strconv.ParseUint(fields[0], 10, 64)
		switch key {
		case "VmRSS":
			s.RSS = kb << 10
		case "VmHWM":
			s.HWM = kb << 10
		}
	}
	s.Exists = true
	return s, sc.Err()
}

// treeProbe sums CPU time and RSS over this process and all its
// descendants (the browsers' Chromium processes), so a saturated
// generator shows even when the work happens in child processes.
// CPU of descendants that already exited is lost; Chromium's long-lived
// renderer and GPU processes are what matter here.
type treeProbe struct{}

// Sample implements ServerProbe.
func (treeProbe) Sample(context.Context) (ProcSample, error) {
	self := os.Getpid()
	parent := map[int]int{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return ProcSample{}, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 2 {
			ppid, _ := strconv.Atoi(f[1])
			parent[pid] = ppid
		}
	}
	inTree := func(pid int) bool {
		for n := 0; pid > 1 && n < 64; n++ {
			if pid == self {
				return true
			}
			pid = parent[pid]
		}
		return false
	}
	sum := ProcSample{At: time.Now(), Exists: true}
	for pid := range parent {
		if !inTree(pid) {
			continue
		}
		p, err := ReadProc(pid)
		if err != nil {
			continue
		}
		sum.CPU += p.CPU
		sum.RSS += p.RSS
		sum.HWM += p.RSS
	}
	return sum, nil
}

// Source implements ServerProbe.
func (treeProbe) Source() string { return "self+children" }
