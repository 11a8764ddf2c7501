package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/internal/accessnotice"
	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/storage"
)

// userCommand handles `auctiond user <verb>`:
//
//	user promote REF        make a user an admin (REF: users.id or provider:subject)
//	user demote REF         take a user's seller or admin role away (back to bidder)
//	user ban REF [REASON]   bar a user from the whole site
//	user unban REF          lift a site-wide ban
//	user login-link REF     print a single-use sign-in URL for the user
//
// Role changes and bans take effect on the user's open WebSockets at once:
// the command publishes an access notice that every server node applies.
func userCommand(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	const usage = "usage: auctiond user promote|demote|ban|unban|login-link REF (REF: user id or provider:subject)"
	verbs := map[string]bool{"promote": true, "demote": true, "ban": true, "unban": true, "login-link": true}
	if len(args) < 2 || !verbs[args[0]] {
		return usageError{errors.New(usage)}
	}
	verb, ref := args[0], strings.TrimSpace(args[1])
	rest, reason := args[2:], ""
	if verb == "ban" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		reason, rest = rest[0], rest[1:]
	}
	fs := flag.NewFlagSet("auctiond user "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadConfig(fs, rest, getenv)
	if err != nil {
		return usageError{err}
	}
	db, err := storage.Open(ctx, storage.Config{URL: cfg.DatabaseURL, ConnectTimeout: cfg.DBConnectWait}, cfg.newLogger())
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	if _, _, err := db.Migrate(ctx); err != nil {
		return err
	}
	users := storage.NewUsers(db)
	if verb == "login-link" {
		u, err := auth.FindUser(ctx, users, ref)
		if err != nil {
			return err
		}
		link, err := loginLink(ctx, cfg, db, u.ID)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "sign-in link for %s (single use, valid %s):\n%s\n", u.DisplayName, auth.LoginLinkTTL, link)
		return err
	}
	u, done, err := ops.ChangeUser(ctx, users, verb, ref, reason)
	if err != nil {
		return err
	}
	if err := announceAccess(ctx, cfg, u.ID); err != nil {
		_, _ = fmt.Fprintf(out, "warning: open connections were not told (%v); they keep their rights until they reconnect\n", err)
	}
	_, err = fmt.Fprintf(out, "%s (%s) %s\n", u.DisplayName, u.ID, done)
	return err
}

// announceAccess tells every running node that userID's rights changed.
func announceAccess(ctx context.Context, cfg Config, userID string) error {
	rdb, err := cliRedis(ctx, cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	return accessnotice.Publish(ctx, rdb, accessnotice.Notice{UserID: userID})
}

// cliRedis connects a command to the server's Redis.
func cliRedis(ctx context.Context, cfg Config) (*redis.Client, error) {
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, usageError{fmt.Errorf("REDIS_URL: %w", err)}
	}
	rdb := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("reach Redis: %w", err)
	}
	return rdb, nil
}

// loginLink issues a single-use sign-in URL for userID with the server's
// own auth settings (the same Redis, key prefix and PUBLIC_URL).
func loginLink(ctx context.Context, cfg Config, db *storage.DB, userID string) (string, error) {
	getenv := func(name string) string {
		if name == "PUBLIC_URL" {
			return cfg.PublicURL
		}
		return cfg.getenv(name)
	}
	acfg, err := auth.ConfigFromEnv(getenv)
	if err != nil {
		return "", usageError{fmt.Errorf("auth settings: %w", err)}
	}
	rdb, err := cliRedis(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer rdb.Close()
	svc, err := auth.NewService(acfg, storage.NewUsers(db), rdb, cfg.newLogger())
	if err != nil {
		return "", err
	}
	return svc.IssueLoginLink(ctx, userID)
}
