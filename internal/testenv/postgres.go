package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PostgresServer is a private PostgreSQL cluster that a test may stop
// abruptly (pg_ctl -m immediate, like a crash) and start again on the same
// port, to see how code copes with the database going away.
type PostgresServer struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	asPG bool // run the server as the postgres user (when the test runs as root)
}

// StartPostgres creates and starts a private cluster on a free loopback
// port with trust authentication, and stops it when the test ends.
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	bin := postgresBin()
	if bin == "" {
		t.Fatal("PostgreSQL's initdb was not found: run `make services`, which installs it")
	}
	s := &PostgresServer{t: t, bin: bin, port: freePort(t), asPG: os.Geteuid() == 0}
	s.dir = t.TempDir()
	if s.asPG {
		// The server refuses to run as root; hand the directory to postgres.
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres system user: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		for d := s.dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
			_ = os.Chmod(d, 0o755)
		}
		if err := os.Chown(s.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	s.run("initdb", "-D", s.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
	s.Start()
	t.Cleanup(func() { s.stop("fast") })
	return s
}

func (s *PostgresServer) data() string { return filepath.Join(s.dir, "data") }

// URL is the cluster's connection URL.
func (s *PostgresServer) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Start starts the server and waits until it accepts connections.
func (s *PostgresServer) Start() {
	s.t.Helper()
	s.run("pg_ctl", "-D", s.data(), "-l", filepath.Join(s.dir, "log"), "-w", "-t", "30",
		"-o", fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=on", s.port, s.dir), "start")
}

// Crash stops the server at once, without a checkpoint, as a crash would.
func (s *PostgresServer) Crash() { s.stop("immediate") }

func (s *PostgresServer) stop(mode string) {
	if _, err := os.Stat(filepath.Join(s.data(), "postmaster.pid")); err != nil {
		return
	}
	s.run("pg_ctl", "-D", s.data(), "-m", mode, "-w", "stop")
}

func (s *PostgresServer) run(tool string, args ...string) {
	s.t.Helper()
	path := filepath.Join(s.bin, tool)
	var cmd *exec.Cmd
	if s.asPG {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
}

// postgresBin finds the newest installed PostgreSQL's bin directory.
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return a > b
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// freePort asks the kernel for a free loopback port.
//
// It skips the ranges `make services` picks its Postgres (54000–55999) and
// Redis (57000–58999) ports from, so a private server started by a test
// never takes the port another checkout's services are about to use.
func freePort(t testing.TB) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if (port < 54000 || port > 55999) && (port < 57000 || port > 58999) {
			return port
		}
	}
	t.Fatal("no free port outside the services' ranges")
	return 0
}

// waitDial waits until addr accepts TCP connections.
func waitDial(addr string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
