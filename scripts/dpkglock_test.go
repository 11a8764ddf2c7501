package scripts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a command's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestInstallWaitsForTheDpkgLock runs `services.sh install` (what `make
// services` does for missing packages) while another process holds the
// dpkg lock (a stand-in lock file held open by flock, as apt holds its own):
// the script says who holds it, waits, and installs once it is released;
// held past the timeout, it gives up with a message naming the holder and
// what to do, and apt-get never runs.
func TestInstallWaitsForTheDpkgLock(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock (util-linux) not installed")
	}
	root := copyScripts(t)
	lock := filepath.Join(root, "lock-frontend")
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ran := filepath.Join(root, "apt-ran")
	fakeApt := filepath.Join(root, "fake-apt-get")
	if err := os.WriteFile(fakeApt, []byte("#!/bin/sh\necho \"$@\" >>"+ran+"\necho 'Setting up fakepkg (1.0) ...'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	install := func(timeout string) (*exec.Cmd, *lockedBuffer) {
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "services.sh"), "install", "fakepkg")
		cmd.Env = []string{"HOME=" + root, "PATH=" + os.Getenv("PATH"), "BIDCAST_DPKG_LOCKS=" + lock,
			"BIDCAST_APT_GET=" + fakeApt, "BIDCAST_DPKG_LOCK_TIMEOUT=" + timeout}
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, out
	}
	hold := func() *exec.Cmd {
		h := exec.Command("flock", lock, "sleep", "300")
		// Its own process group, so release ends flock and its sleep.
		h.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := h.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { release(h) })
		return h
	}

	// Held, then released while the script waits.
	holder := hold()
	cmd, out := install("120")
	// It says it waits, and for whom.
	waitFor(t, func() bool {
		return strings.Contains(out.String(), "waiting for the dpkg lock") &&
			strings.Contains(out.String(), strconv.Itoa(holder.Process.Pid)+" flock")
	}, out)
	if _, err := os.Stat(ran); err == nil {
		t.Fatalf("apt-get ran while the lock was held:\n%s", out)
	}
	release(holder)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("install after the lock was released: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(ran); !strings.Contains(string(b), "install -y") || !strings.Contains(string(b), "fakepkg") {
		t.Fatalf("apt-get ran as %q:\n%s", b, out)
	}
	for _, want := range []string{"the dpkg lock is free", "installed fakepkg in"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Held past the timeout: a clear failure, and no apt-get.
	if err := os.Remove(ran); err != nil {
		t.Fatal(err)
	}
	holder = hold()
	cmd, out = install("1")
	err := cmd.Wait()
	if err == nil {
		t.Fatalf("install succeeded with the lock held:\n%s", out)
	}
	for _, want := range []string{"still held after 1s", strconv.Itoa(holder.Process.Pid) + " flock", "BIDCAST_DPKG_LOCK_TIMEOUT", "run the command again"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("failure message lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(ran); err == nil {
		t.Errorf("apt-get ran although the lock was never free")
	}
}

// release ends the lock holder h and its child.
func release(h *exec.Cmd) {
	_ = syscall.Kill(-h.Process.Pid, syscall.SIGKILL)
	_ = h.Wait()
}

// copyScripts copies services.sh into a throw-away checkout and returns
// its root.
func copyScripts(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	script, err := os.ReadFile("services.sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "scripts", "services.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, cond func() bool, out *lockedBuffer) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out; output so far:\n%s", out)
		}
	}
}
