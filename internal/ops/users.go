package ops

import (
	"context"
	"fmt"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/storage"
)

// ChangeUser applies a role or ban verb to the user named by ref (a user id
// or provider:subject) and says what it did: promote makes an admin,
// demote takes a seller's or admin's role away (back to bidder), ban and
// unban bar the user from the whole site or lift it. Open connections learn
// of it through an access notice the caller publishes.
func ChangeUser(ctx context.Context, users *storage.Users, verb, ref, reason string) (storage.User, string, error) {
	switch verb {
	case "promote":
		u, err := auth.PromoteAdmin(ctx, users, ref)
		return u, "is now an admin", err
	case "demote":
		u, err := auth.ChangeRole(ctx, users, ref, auth.RoleBidder)
		return u, "is now a bidder", err
	case "ban", "unban":
	default:
		return storage.User{}, "", fmt.Errorf("change user %s: unknown verb %q", ref, verb)
	}
	u, err := auth.FindUser(ctx, users, ref)
	if err != nil {
		return storage.User{}, "", err
	}
	if verb == "ban" {
		return u, "is banned from the site", users.Ban(ctx, u.ID, reason)
	}
	return u, "is no longer banned", users.Unban(ctx, u.ID)
}
