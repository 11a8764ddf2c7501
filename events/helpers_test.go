package events

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
)

// testRedis connects to the Redis named by REDIS_URL; the test fails
// loudly when there is none.
func testRedis(t testing.TB) redis.UniversalClient {
	t.Helper()
	opts, err := redis.ParseURL(testenv.Require(t, "REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// newUUID returns a random version 4 UUID, so each test has rooms of its
// own on the shared Redis.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
