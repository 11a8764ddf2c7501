// Command auctiond is the Bidcast server: live video auctions with a Pion SFU,
// per-room auction clocks, bids through per-room Asynq queues, and Postgres
// for everything that must survive a restart.
//
// Usage:
//
//	auctiond [serve]                      run the server (the default)
//	auctiond migrate                      apply database migrations and exit
//	auctiond room create --title T --seller NAME [--lots N] [--live] [--json]
//	auctiond user promote REF             make a user an admin
//	auctiond user demote REF              take a user's seller or admin role away
//	auctiond user ban REF [REASON]        bar a user from the site (unban REF lifts it)
//	auctiond user login-link REF          print a single-use sign-in URL
//	auctiond help                         list commands and environment variables
//
// Configuration comes from the environment (see `auctiond help`); flags
// override it. A bad value ends the program with one clear line and status 2.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses: 1 for a failure while running, 2 for bad usage or config.
const (
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks errors caused by the command line or configuration.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// environment reads a variable for the configuration. A variable set but
// empty usually means "the default", except ADMIN_ADDR, where an empty value
// turns the admin listener off (it reads as "off").
func environment(name string) string {
	v, ok := os.LookupEnv(name)
	if ok && v == "" && name == "ADMIN_ADDR" {
		return "off"
	}
	return v
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := dispatch(ctx, os.Args[1:], os.Stdout, environment)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "auctiond:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(exitUsage)
		}
		os.Exit(exitFailure)
	}
}

// dispatch runs the subcommand named by args.
func dispatch(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := parseConfig("serve", args, getenv)
		if err != nil {
			return err
		}
		return serve(ctx, cfg)
	case "migrate":
		cfg, err := parseConfig("migrate", args, getenv)
		if err != nil {
			return err
		}
		return migrateOnly(ctx, cfg, stdout)
	case "room":
		return roomCommand(ctx, args, stdout, getenv)
	case "user":
		return userCommand(ctx, args, stdout, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, helpText())
		return nil
	default:
		return usageError{fmt.Errorf("unknown command %q (try `auctiond help`)", cmd)}
	}
}

// parseConfig loads the configuration for a subcommand, marking every
// problem as a usage error.
func parseConfig(name string, args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("auctiond "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		return Config{}, usageError{err}
	}
	return cfg, nil
}

func helpText() string {
	return `auctiond: the Bidcast live auction server

Commands:
  serve                                  run the server (default)
  migrate                                apply database migrations and exit
  room create --title T --seller NAME    create a seller (if needed) and a room; --json for JSON
      [--lots N --currency KRW --opening 10000 --duration 60s --policy soft-close] [--live] [--private]
  user promote REF                       make a user an admin (REF: user id or provider:subject)
  user demote REF                        take a user's seller or admin role away (back to bidder)
  user ban REF [REASON] | user unban REF bar a user from the whole site, or lift the ban
  user login-link REF                    print a single-use sign-in URL (15 minutes) for a user
  help                                   this text

Environment (flags of the same name in lower case override it, e.g. --http-addr):
` + envTable()
}
