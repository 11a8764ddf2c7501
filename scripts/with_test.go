package scripts

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWithStopsWhatItStarted runs `services.sh with` (what `make test`
// runs its steps under) in a throw-away checkout with ports of its own and
// a Postgres cluster outside the checkout (a root's checkout the postgres
// user cannot enter, as under /root): the command runs with both services
// up, its failing status is passed on, and afterwards no daemon of that
// checkout is left running; services that were up before stay up.
func TestWithStopsWhatItStarted(t *testing.T) {
	c := newClone(t)

	// A failing command: its status is kept and the services are stopped.
	probe := "exec 3<>/dev/tcp/127.0.0.1/" + c.env["BIDCAST_PG_PORT"] +
		" && exec 4<>/dev/tcp/127.0.0.1/" + c.env["BIDCAST_REDIS_PORT"] + " && exit 3"
	out, err := c.run("with", "bash", "-c", probe)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("with a command exiting 3 (after reaching both services): %v\n%s", err, out)
	}
	c.checkNothingRunning(out)
	if m, _ := filepath.Glob(filepath.Join(c.varDir, "*", "pg", "data", "PG_VERSION")); len(m) != 1 {
		t.Fatalf("the cluster is not outside the checkout: %v\n%s", m, out)
	}

	// Services up before stay up.
	if out, err := c.run("start"); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	if out, err := c.run("with", "true"); err != nil {
		t.Fatalf("with true: %v\n%s", err, out)
	}
	for _, p := range []string{"BIDCAST_PG_PORT", "BIDCAST_REDIS_PORT"} {
		if !listening(c.env[p]) {
			t.Fatalf("%s %s was up before `with` and is down after it", p, c.env[p])
		}
	}
	if out, err := c.run("stop"); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	c.checkNothingRunning(out)
}

// TestCleanRemovesClustersOfDeletedClones deletes a checkout whose cluster
// lives outside it while its Postgres runs: another checkout's `stop` stops
// that Postgres and `clean` deletes the cluster, along with its own data.
func TestCleanRemovesClustersOfDeletedClones(t *testing.T) {
	gone := newClone(t)
	gone.env["REDIS_URL"] = "redis://:x@redis.example:6379/0" // only Postgres
	if out, err := gone.run("start"); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	clusters, _ := filepath.Glob(filepath.Join(gone.varDir, "*", "pg"))
	if len(clusters) != 1 {
		t.Fatalf("clusters under %s: %v", gone.varDir, clusters)
	}
	if err := os.RemoveAll(gone.root); err != nil {
		t.Fatal(err)
	}
	if !listening(gone.env["BIDCAST_PG_PORT"]) {
		t.Fatal("the deleted clone's Postgres is not running")
	}

	other := newClone(t)
	other.varDir = gone.varDir
	other.env["BIDCAST_VAR_DIR"] = gone.varDir
	other.env["REDIS_URL"] = "redis://:x@redis.example:6379/0"
	out, err := other.run("stop")
	if err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if listening(gone.env["BIDCAST_PG_PORT"]) || !strings.Contains(out, "gone") || !strings.Contains(out, "make clean-data") {
		t.Fatalf("stop left the deleted clone's Postgres running or said nothing:\n%s", out)
	}
	if _, err := os.Stat(clusters[0]); err != nil {
		t.Fatalf("stop deleted the cluster: %v", err)
	}
	if out, err = other.run("clean"); err != nil {
		t.Fatalf("clean: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Dir(clusters[0])); !os.IsNotExist(err) {
		t.Fatalf("clean kept %s (%v):\n%s", filepath.Dir(clusters[0]), err, out)
	}
}

// clone is a throw-away checkout with services.sh, its own ports and its
// own directory for clusters outside checkouts.
type clone struct {
	t            *testing.T
	root, varDir string
	env          map[string]string
}

func newClone(t *testing.T) *clone {
	t.Helper()
	for _, tool := range []string{"redis-server", "redis-cli", "runuser"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	if os.Getuid() != 0 {
		t.Skip("needs root: the cluster outside the checkout is root's case")
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) == 0 {
		t.Skip("PostgreSQL's initdb not found")
	}
	// The checkout is a root-only directory (as under /root); the directory
	// for clusters is one the postgres user can enter.
	root := copyScripts(t)
	varDir := t.TempDir()
	for _, d := range []string{filepath.Dir(varDir), varDir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(root, 0o700); err != nil {
		t.Fatal(err)
	}
	c := &clone{t: t, root: root, varDir: varDir, env: map[string]string{
		"BIDCAST_PG_PORT": strconv.Itoa(freePort(t)), "BIDCAST_REDIS_PORT": strconv.Itoa(freePort(t)),
		"BIDCAST_VAR_DIR": varDir, "PATH": stubPath(t),
	}}
	// Whatever a failure leaves running is stopped (a Postgres whose
	// checkout was deleted is stopped by pg_ctl on its data directory).
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(root, "scripts")); err == nil {
			_, _ = c.run("stop")
		}
		clusters, _ := filepath.Glob(filepath.Join(varDir, "*", "pg", "data"))
		bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
		for _, d := range clusters {
			if len(bins) > 0 {
				_ = exec.Command("runuser", "-u", "postgres", "--", bins[0], "-D", d, "-m", "immediate", "stop").Run()
			}
		}
		_ = os.RemoveAll(varDir) // the cluster belongs to the postgres user
	})
	return c
}

// run runs services.sh with args in the clone with only c.env.
func (c *clone) run(args ...string) (string, error) {
	c.t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(c.root, "scripts", "services.sh")}, args...)...)
	cmd.Dir = c.root
	cmd.Env = []string{"HOME=" + c.root}
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// checkNothingRunning checks that neither port answers and that no process
// runs from the clone's directories.
func (c *clone) checkNothingRunning(out string) {
	c.t.Helper()
	for _, p := range []string{"BIDCAST_PG_PORT", "BIDCAST_REDIS_PORT"} {
		if listening(c.env[p]) {
			c.t.Fatalf("%s %s still answers:\n%s", p, c.env[p], out)
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		cmdline := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmdline, c.root) || strings.Contains(cmdline, c.varDir) {
			c.t.Fatalf("still running: %s (%s)\n%s", cmdline, p, out)
		}
	}
}

// listening reports whether something accepts connections on port.
func listening(port string) bool {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// TestWithStopsWhatAFailedStartStarted holds the Redis port with something
// that is not Redis, so `with`'s start brings Postgres up and then fails
// on Redis: the command never runs, `with` fails, and the Postgres it
// started is stopped (it was once left running).
func TestWithStopsWhatAFailedStartStarted(t *testing.T) {
	c := newClone(t)
	ln, err := net.Listen("tcp", "127.0.0.1:"+c.env["BIDCAST_REDIS_PORT"])
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	marker := filepath.Join(t.TempDir(), "ran")
	out, err := c.run("with", "touch", marker)
	ln.Close()
	if err == nil {
		t.Fatalf("with succeeded with the Redis port held:\n%s", out)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatalf("the command ran although the start failed:\n%s", out)
	}
	if !strings.Contains(out, "PostgreSQL") || !strings.Contains(out, "stopping what this run started: postgres") {
		t.Fatalf("the start did not bring Postgres up, or with did not stop it:\n%s", out)
	}
	c.checkNothingRunning(out)
}
