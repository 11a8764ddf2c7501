package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/internal/accessnotice"
	"github.com/bidcast/bidcast/internal/connect"
	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/storage"
)

// userChange is `auctiond user promote|demote|ban|unban REF`. A change
// takes effect on the user's open WebSockets at once: the command publishes
// an access notice that every server node applies.
func userChange(verb string) func(context.Context, *Program, *flag.FlagSet, []string) error {
	return func(ctx context.Context, p *Program, fs *flag.FlagSet, args []string) error {
		t, err := openUserTarget(ctx, p, fs, args, verb)
		if err != nil {
			return err
		}
		defer t.db.Close()
		u, done, err := ops.ChangeUser(ctx, storage.NewUsers(t.db), verb, t.ref, t.reason)
		if err != nil {
			return err
		}
		if err := AnnounceAccess(ctx, t.s.RedisURL, u.ID); err != nil {
			_, _ = fmt.Fprintf(p.Stdout, "warning: open connections were not told (%v); they keep their rights until they reconnect\n", err)
		}
		_, err = fmt.Fprintf(p.Stdout, "%s (%s) %s\n", u.DisplayName, u.ID, done)
		return err
	}
}

// userLoginLink is `auctiond user login-link REF`.
func userLoginLink(ctx context.Context, p *Program, fs *flag.FlagSet, args []string) error {
	t, err := openUserTarget(ctx, p, fs, args, "login-link")
	if err != nil {
		return err
	}
	defer t.db.Close()
	u, err := auth.FindUser(ctx, storage.NewUsers(t.db), t.ref)
	if err != nil {
		return err
	}
	link, err := loginLink(ctx, t.s, t.db, u.ID)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(p.Stdout, "sign-in link for %s (single use, valid %s):\n%s\n", u.DisplayName, auth.LoginLinkTTL, link)
	return err
}

// userTarget is what every `auctiond user` command starts from: the user's
// REF (and a ban's REASON), the settings and the open database.
type userTarget struct {
	ref, reason string
	s           Settings
	db          *storage.DB
}

// openUserTarget takes REF (and, for ban, REASON) before the flags, loads
// the settings and opens the database; the caller closes db. A missing REF
// is a usage error unless help was asked for.
func openUserTarget(ctx context.Context, p *Program, fs *flag.FlagSet, args []string, verb string) (*userTarget, error) {
	t := &userTarget{}
	t.ref, args = operand(args)
	if verb == "ban" {
		t.reason, args = operand(args)
	}
	var err error
	t.s, err = p.Load(fs, args)
	if t.ref == "" && !errors.Is(err, flag.ErrHelp) {
		return nil, UsageError{fmt.Errorf("user %s needs REF: a user id or provider:subject", verb)}
	}
	if err != nil {
		return nil, UsageError{err}
	}
	if t.db, err = openDB(ctx, t.s); err != nil {
		return nil, err
	}
	return t, nil
}

// operand takes the first argument if it is not a flag.
func operand(args []string) (string, []string) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", args
	}
	return strings.TrimSpace(args[0]), args[1:]
}

// openDB opens the server's database and brings its schema up to date.
func openDB(ctx context.Context, s Settings) (*storage.DB, error) {
	db, _, _, err := connect.Postgres(ctx, s.DatabaseURL, s.DBConnectWait, s.Log)
	return db, err
}

// AnnounceAccess tells every running node that userID's rights changed.
func AnnounceAccess(ctx context.Context, redisURL, userID string) error {
	rdb, err := connect.Redis(ctx, redisURL, 0)
	if err != nil {
		return err
	}
	defer rdb.Close()
	return accessnotice.Publish(ctx, rdb, accessnotice.Notice{UserID: userID})
}

// loginLink issues a single-use sign-in URL for userID with the server's
// own auth settings (the same Redis, key prefix and PUBLIC_URL).
func loginLink(ctx context.Context, s Settings, db *storage.DB, userID string) (string, error) {
	acfg, err := auth.ConfigFromEnv(s.Getenv)
	if err != nil {
		return "", UsageError{fmt.Errorf("auth settings: %w", err)}
	}
	acfg.PublicURL = s.PublicURL
	rdb, err := connect.Redis(ctx, s.RedisURL, 0)
	if err != nil {
		return "", err
	}
	defer rdb.Close()
	svc, err := auth.NewService(acfg, storage.NewUsers(db), rdb, s.Log)
	if err != nil {
		return "", err
	}
	return svc.IssueLoginLink(ctx, userID)
}
