package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestServicesWaitsForRedisToAnswer starts the private Redis through a
// redis-cli that, like a daemonized Redis not listening yet, fails the
// first ping after the server was launched: the script waits and goes on
// instead of failing (it once stopped there on an unset variable, which
// only a slow start reached).
func TestServicesWaitsForRedisToAnswer(t *testing.T) {
	real, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatal("redis-cli not found: run `make services`, which installs it")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server not found: run `make services`, which installs it")
	}
	root := copyScripts(t)
	wrap := t.TempDir()
	pidfile := filepath.Join(root, ".data", "redis", "redis.pid")
	marker := filepath.Join(wrap, "refused-once")
	cli := "#!/bin/sh\n" +
		"for a in \"$@\"; do\n" +
		"  if [ \"$a\" = ping ] && [ -e '" + pidfile + "' ] && [ ! -e '" + marker + "' ]; then\n" +
		"    : > '" + marker + "'\n" +
		"    echo 'Could not connect to Redis: Connection refused' >&2; exit 1\n" +
		"  fi\n" +
		"done\n" +
		"exec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(wrap, "redis-cli"), []byte(cli), 0o755); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	s := &servicesRun{t: t, root: root, base: map[string]string{
		"BIDCAST_REDIS_PORT": strconv.Itoa(port), "BIDCAST_PG_PORT": strconv.Itoa(freePort(t)),
		"DATABASE_URL": "postgres://bidcast:x@db.example:5432/bidcast",
		"PATH":         wrap + string(os.PathListSeparator) + stubPath(t),
	}}
	t.Cleanup(func() { s.run("stop", nil) })
	env := s.start(nil)
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the wrapper never refused a ping after the start (%v): the test did not test the wait", err)
	}
	s.checkProtected(env, port)
}
