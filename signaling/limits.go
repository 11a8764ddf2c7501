package signaling

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/internal/ratelimit"
	"github.com/bidcast/bidcast/storage"
)

// connRetryAfter is the Retry-After of a refused upgrade: a connection
// slot frees when the client closes another socket, which it controls.
const connRetryAfter = 10 * time.Second

// admit takes the slots of a new connection before the upgrade: one under
// its user and, unless the user is a seller or an admin, one under its
// client address. It answers an *Error with CodeTooManyConnections when a
// cap is reached. When Redis does not answer, the connection is let in
// uncounted (a nil Lease) and the failure logged: the limiter's outage must
// not become the gateway's.
func (g *Gateway) admit(r *http.Request, id Identity) (*ratelimit.Lease, error) {
	claims := []ratelimit.Claim{{Key: "user:" + id.UserID, Max: g.cfg.ConnsPerUser}}
	if id.Role != storage.RoleSeller && id.Role != storage.RoleAdmin {
		if addr := clientip.Bucket(g.cfg.ClientIP.Addr(r)); addr != "" {
			claims = append(claims, ratelimit.Claim{Key: "addr:" + addr, Max: g.cfg.ConnsPerAddr})
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	lease, err := g.slots.Acquire(ctx, claims...)
	var full *ratelimit.FullError
	switch {
	case errors.As(err, &full) && strings.HasPrefix(full.Key, "user:"):
		return nil, Errorf(CodeTooManyConnections,
			fmt.Sprintf("you already have %d connections open; close one first", full.Max))
	case errors.As(err, &full):
		return nil, Errorf(CodeTooManyConnections,
			fmt.Sprintf("%d connections are already open from your network", full.Max))
	case err != nil:
		g.log.Warn("connection limiter unavailable; letting the connection in", "err", err)
		return nil, nil
	}
	return lease, nil
}
