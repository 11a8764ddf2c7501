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
	"github.com/bidcast/bidcast/storage"
)

// userCommand handles `auctiond user <verb>`:
//
//	user promote REF        make a user an admin (REF: users.id or provider:subject)
//	user login-link REF     print a single-use sign-in URL for the user
func userCommand(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	const usage = "usage: auctiond user promote REF | auctiond user login-link REF (REF: user id or provider:subject)"
	if len(args) < 2 || (args[0] != "promote" && args[0] != "login-link") {
		return usageError{errors.New(usage)}
	}
	verb, ref := args[0], strings.TrimSpace(args[1])
	fs := flag.NewFlagSet("auctiond user "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadConfig(fs, args[2:], getenv)
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
	if verb == "promote" {
		u, err := auth.PromoteAdmin(ctx, users, ref)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s (%s) is now an admin\n", u.DisplayName, u.ID)
		return err
	}
	u, err := users.Get(ctx, ref)
	if provider, subject, ok := strings.Cut(ref, ":"); ok {
		u, err = users.GetByIdentity(ctx, provider, subject)
	}
	if err != nil {
		return fmt.Errorf("find user %q: %w", ref, err)
	}
	link, err := loginLink(ctx, cfg, db, u.ID)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "sign-in link for %s (single use, valid %s):\n%s\n", u.DisplayName, auth.LoginLinkTTL, link)
	return err
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
	opts, _ := redis.ParseURL(cfg.RedisURL)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		return "", fmt.Errorf("reach Redis: %w", err)
	}
	svc, err := auth.NewService(acfg, storage.NewUsers(db), rdb, cfg.newLogger())
	if err != nil {
		return "", err
	}
	return svc.IssueLoginLink(ctx, userID)
}
