package connect

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisSentinelFollowsFailover starts a private master, a replica and a
// Sentinel on loopback, connects through a failover URL, and checks that
// the client writes to the new master after Sentinel promotes the replica.
func TestRedisSentinelFollowsFailover(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed (make services installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	master, replica, sentinel := freePort(t), freePort(t), freePort(t)
	startRedis(t, ctx, dir, "master", "--port", fmt.Sprint(master))
	startRedis(t, ctx, dir, "replica", "--port", fmt.Sprint(replica), "--replicaof", "127.0.0.1", fmt.Sprint(master))
	conf := filepath.Join(dir, "sentinel.conf")
	writeFile(t, conf, fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor bc 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds bc 1000\nsentinel failover-timeout bc 5000\n", sentinel, master))
	startRedis(t, ctx, dir, "sentinel", conf, "--sentinel")

	sc := redis.NewSentinelClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", sentinel)})
	defer sc.Close()
	waitFor(t, ctx, "Sentinel to see the replica", func() bool {
		reps, err := sc.Replicas(ctx, "bc").Result()
		return err == nil && len(reps) == 1 && reps[0]["flags"] == "slave"
	})

	url := fmt.Sprintf("redis://127.0.0.1:%d/0?master_name=bc", sentinel)
	rdb, err := Redis(ctx, url, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if got := rdb.Options().PoolSize; got != 16 {
		t.Errorf("pool size %d, want 16", got)
	}
	if err := rdb.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Failover(ctx, "bc").Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	waitFor(t, ctx, "the replica to become master", func() bool {
		addr, err := sc.GetMasterAddrByName(ctx, "bc").Result()
		return err == nil && addr[1] == fmt.Sprint(replica)
	})
	// The old master takes writes until Sentinel turns it into a replica
	// (Redis replication is asynchronous), so wait until a write made
	// through the client is read back from the promoted server.
	direct := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", replica)})
	defer direct.Close()
	n := 0
	waitFor(t, ctx, "a write through the client to reach the new master", func() bool {
		n++
		v := fmt.Sprint("after-", n)
		if rdb.Set(ctx, "k", v, 0).Err() != nil {
			return false
		}
		got, err := direct.Get(ctx, "k").Result()
		return err == nil && got == v
	})
	if role, err := direct.Do(ctx, "ROLE").Slice(); err != nil || role[0] != "master" {
		t.Fatalf("promoted server's role %v (%v), want master", role, err)
	}
}

func TestRedisSentinelURLErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ url, want string }{
		{"redis://127.0.0.1:1/0?master_name=", "master_name is empty"},
		{"redis://127.0.0.1:1/0?master_name=x&bogus=1", "REDIS_URL: sentinel URL: redis: unexpected option: bogus"},
		{"redis://127.0.0.1:1/0?master_name=x&dial_timeout=100ms", "reach Redis at master \"x\" of sentinels 127.0.0.1:1"},
	} {
		if _, err := Redis(ctx, tc.url, 0); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.url, err, tc.want)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startRedis runs redis-server with args in its own directory under dir,
// without persistence, stops it at the end of the test, and waits until
// it answers.
func startRedis(t *testing.T, ctx context.Context, dir, name string, args ...string) {
	t.Helper()
	wd := filepath.Join(dir, name)
	if err := os.MkdirAll(wd, 0o700); err != nil {
		t.Fatal(err)
	}
	port := ""
	for i, a := range args {
		if a == "--port" {
			port = args[i+1]
		}
	}
	if port == "" { // a Sentinel: its port is in its file
		b, _ := os.ReadFile(args[0])
		fmt.Sscanf(strings.TrimPrefix(string(b), "port "), "%s", &port)
	}
	args = append(args, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", wd)
	cmd := exec.Command("redis-server", args...)
	log, err := os.Create(filepath.Join(wd, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = log.Close()
	})
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port})
	defer c.Close()
	waitFor(t, ctx, name+" to answer", func() bool { return c.Ping(ctx).Err() == nil })
}

func waitFor(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
