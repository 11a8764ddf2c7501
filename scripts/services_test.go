// Package scripts holds the shell scripts of the Makefile; this test runs
// services.sh in a throw-away checkout with a Redis of its own.
package scripts

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestServicesScript runs `services.sh start` as `make services` does, in a
// copy of the checkout (its own .data/ and ports; Postgres is named as
// external, so only the private Redis is started): the Redis requires the
// password in .data/env's REDIS_URL; a second run from a shell that
// sourced .data/env keeps the sign-in keys and the private Redis; a
// genuinely external URL and an operator's own key are honoured; and a
// Redis left running without a password by an older script is protected
// in place with its data kept, also across a restart.
func TestServicesScript(t *testing.T) {
	for _, tool := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run `make services`, which installs it", tool)
		}
	}
	root := copyScripts(t)
	port := freePort(t)
	base := map[string]string{
		"BIDCAST_REDIS_PORT": strconv.Itoa(port), "BIDCAST_PG_PORT": strconv.Itoa(freePort(t)),
		"DATABASE_URL": "postgres://bidcast:x@db.example:5432/bidcast", "PATH": stubPath(t),
	}
	s := &servicesRun{t: t, root: root, base: base}
	t.Cleanup(func() { s.run("stop", nil) })

	// A fresh start: a Redis that refuses anyone without the password.
	first := s.start(nil)
	pass := s.checkProtected(first["REDIS_URL"], port)
	if b, err := os.ReadFile(filepath.Join(root, ".data", "redis.pass")); err != nil || strings.TrimSpace(string(b)) != pass {
		t.Fatalf(".data/redis.pass = %q, %v; the URL has %q", b, err, pass)
	}
	if fi, _ := os.Stat(filepath.Join(root, ".data", "redis.pass")); fi.Mode().Perm() != 0o600 {
		t.Errorf(".data/redis.pass mode %v", fi.Mode().Perm())
	}
	for _, k := range []string{"AUTH_JWT_KEY", "AUTH_COOKIE_HASH_KEY", "AUTH_COOKIE_BLOCK_KEY"} {
		if first[k] == "" {
			t.Fatalf(".data/env lacks %s: %v", k, first)
		}
	}
	if first["DATABASE_URL"] != base["DATABASE_URL"] {
		t.Fatalf("external DATABASE_URL rewritten: %q", first["DATABASE_URL"])
	}

	// Again from a shell that sourced .data/env, as the README says: the
	// same file, keys included.
	if again := s.start(first); !sameEnv(again, first) {
		t.Fatalf("from a sourced shell .data/env became\n%v\nwas\n%v", again, first)
	}

	// A genuinely external Redis and an operator's own key are honoured.
	ext := map[string]string{"REDIS_URL": "redis://:x@redis.example:6379/0", "AUTH_JWT_KEY": "operators-own"}
	got := s.start(ext)
	if got["REDIS_URL"] != ext["REDIS_URL"] || got["AUTH_JWT_KEY"] != "" || got["AUTH_COOKIE_HASH_KEY"] != first["AUTH_COOKIE_HASH_KEY"] {
		t.Fatalf("with an external Redis and own key .data/env is %v", got)
	}

	// A Redis started by the older script, without a password, holding data.
	s.run("stop", nil)
	if err := os.Remove(filepath.Join(root, ".data", "redis.pass")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, ".data", "redis")
	old := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
		"--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "yes",
		"--pidfile", filepath.Join(dir, "redis.pid"), "--logfile", filepath.Join(dir, "redis.log"))
	if out, err := old.CombinedOutput(); err != nil {
		t.Fatalf("old-style redis-server: %v %s", err, out)
	}
	open := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	defer open.Close()
	if err := waitPing(open); err != nil {
		t.Fatal(err)
	}
	if err := open.Set(context.Background(), "kept", "yes", 0).Err(); err != nil {
		t.Fatal(err)
	}
	upgraded := s.start(nil)
	s.checkProtected(upgraded, port)
	s.checkKept(upgraded["REDIS_URL"])
	// Restarted, it reads the password from its config and the data from
	// its append-only file.
	s.run("stop", nil)
	restarted := s.start(nil)
	if restarted["REDIS_URL"] != upgraded["REDIS_URL"] {
		t.Fatalf("the password changed across a restart: %q then %q", upgraded["REDIS_URL"], restarted["REDIS_URL"])
	}
	s.checkProtected(restarted, port)
	s.checkKept(restarted["REDIS_URL"])
}

// servicesRun runs the copied script with a clean environment.
type servicesRun struct {
	t    *testing.T
	root string
	base map[string]string
}

// run runs services.sh verb with base and extra as its whole environment.
func (s *servicesRun) run(verb string, extra map[string]string) {
	s.t.Helper()
	cmd := exec.Command("bash", filepath.Join(s.root, "scripts", "services.sh"), verb)
	cmd.Env = []string{"HOME=" + s.root}
	for _, m := range []map[string]string{s.base, extra} {
		for k, v := range m {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("services.sh %s: %v\n%s", verb, err, out)
	}
}

// start runs `services.sh start` with extra in the environment (the
// previous .data/env, say) and returns the .data/env it wrote.
func (s *servicesRun) start(extra map[string]string) map[string]string {
	s.t.Helper()
	env := map[string]string{}
	for k, v := range extra {
		env[k] = v
	}
	s.run("start", env)
	f, err := os.Open(filepath.Join(s.root, ".data", "env"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			out[k] = v
		}
	}
	return out
}

// checkProtected checks that the URL (a string or an env map's REDIS_URL)
// reaches the Redis on port with its password and that nothing else does,
// and returns the password.
func (s *servicesRun) checkProtected(v any, port int) string {
	s.t.Helper()
	url, ok := v.(string)
	if !ok {
		url = v.(map[string]string)["REDIS_URL"]
	}
	opts, err := redis.ParseURL(url)
	if err != nil || opts.Password == "" || opts.Addr != "127.0.0.1:"+strconv.Itoa(port) {
		s.t.Fatalf("REDIS_URL %q has no password or another address (%v)", url, err)
	}
	withPass := redis.NewClient(opts)
	defer withPass.Close()
	if err := withPass.Ping(context.Background()).Err(); err != nil {
		s.t.Fatalf("REDIS_URL does not reach Redis: %v", err)
	}
	open := redis.NewClient(&redis.Options{Addr: opts.Addr})
	defer open.Close()
	if err := open.Ping(context.Background()).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		s.t.Fatalf("a connection without the password was not refused: %v", err)
	}
	return opts.Password
}

// checkKept checks that the key written before the upgrade is still there.
func (s *servicesRun) checkKept(url string) {
	s.t.Helper()
	opts, _ := redis.ParseURL(url)
	c := redis.NewClient(opts)
	defer c.Close()
	if v, err := c.Get(context.Background(), "kept").Result(); err != nil || v != "yes" {
		s.t.Fatalf("data lost: kept = %q, %v", v, err)
	}
}

func sameEnv(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// stubPath is PATH with stand-ins for the tools services.sh would install
// for other tests (ffmpeg, chromium, coturn), so this test never runs apt-get.
func stubPath(t *testing.T) string {
	dir := t.TempDir()
	for _, tool := range []string{"ffmpeg", "chromium", "turnserver"} {
		if _, err := exec.LookPath(tool); err == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, tool), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return os.Getenv("PATH") + string(os.PathListSeparator) + dir
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitPing waits until the server answers, for up to 10 s.
func waitPing(c *redis.Client) error {
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err = c.Ping(context.Background()).Err(); err == nil {
			return nil
		}
	}
	return err
}
