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
//	auctiond COMMAND --help               a command's flags and an example
//
// The command line itself (finding the command, help, the client commands)
// is package internal/cli; this package is the server's configuration and
// wiring. Configuration comes from the environment (see `auctiond help`);
// flags override it. A bad value ends the program with one clear line and
// status 2.
package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/bidcast/bidcast/internal/cli"
)

// usageError marks errors caused by the command line or configuration.
type usageError = cli.UsageError

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
	code := program(os.Stdout, os.Stderr, environment).Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// program is the command line over this server's configuration.
func program(stdout, stderr io.Writer, getenv func(string) string) *cli.Program {
	return &cli.Program{
		Load: func(fs *flag.FlagSet, args []string) (cli.Settings, error) {
			cfg, err := loadConfig(fs, args, getenv)
			if err != nil {
				return cli.Settings{}, err
			}
			return cli.Settings{DatabaseURL: cfg.DatabaseURL, RedisURL: cfg.RedisURL, PublicURL: cfg.PublicURL,
				DBConnectWait: cfg.DBConnectWait, Log: cfg.newLogger(), Getenv: cfg.getenv}, nil
		},
		Serve: func(ctx context.Context, fs *flag.FlagSet, args []string) error {
			cfg, err := parseConfig(fs, args, getenv)
			if err != nil {
				return err
			}
			return serve(ctx, cfg)
		},
		Environment: envTable(),
		Stdout:      stdout,
		Stderr:      stderr,
	}
}

// parseConfig loads the configuration with fs, marking every problem as a
// usage error.
func parseConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		return Config{}, usageError{Err: err}
	}
	return cfg, nil
}
