package api

import (
	"testing"

	"github.com/bidcast/bidcast/media"
)

// TestMediaQuotaThroughAPI: the JSON API answers a seller's upload past
// their media quota 409 quota_exceeded, also when an admin uploads to
// their item, and keeps nothing of it.
func TestMediaQuotaThroughAPI(t *testing.T) {
	e := newMediaEnv(t, func(c *media.Config) { c.QuotaFiles = 1 })
	admin := e.user("admin", RoleAdmin)
	first := e.must(e.upload(e.seller, e.item, "a.png", pngBytes(t, 8, 8)), 202).str("id")
	e.waitMedia(first) // its variants are made before the files are counted
	before := len(e.stored())
	for _, who := range []string{e.seller, admin} {
		r := e.upload(who, e.item, "b.png", pngBytes(t, 8, 8))
		if r.Status != 409 || r.errCode() != media.CodeQuotaExceeded {
			t.Fatalf("upload past the quota: %d %s", r.Status, r.Raw)
		}
	}
	if e.rows() != 1 || len(e.stored()) != before {
		t.Fatalf("refused uploads left %d rows and files %v", e.rows(), e.stored())
	}
}
