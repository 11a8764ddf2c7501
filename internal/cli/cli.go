package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/bidcast/bidcast/internal/connect"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// UsageError marks an error caused by the command line or the
// configuration; the program exits with ExitUsage.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Settings are what the client commands need of the server's configuration.
type Settings struct {
	DatabaseURL   string
	RedisURL      string
	PublicURL     string
	DBConnectWait time.Duration
	Log           *slog.Logger
	// Getenv reads the environment, for auth's own settings (the login
	// link is signed with the server's keys).
	Getenv func(string) string
}

// Program is the binary as the command line sees it.
type Program struct {
	// Load registers the server's configuration flags on fs, parses args
	// with it and returns the settings. A parse error is returned as is
	// (flag.ErrHelp for -h).
	Load func(fs *flag.FlagSet, args []string) (Settings, error)
	// Serve runs the server: it loads the configuration from fs and args
	// as Load does, then serves until ctx ends.
	Serve func(ctx context.Context, fs *flag.FlagSet, args []string) error
	// Environment is the table of environment variables for `help`.
	Environment string
	Stdout      io.Writer
	Stderr      io.Writer
}

// command is one thing auctiond does.
type command struct {
	name     string // "room create"
	operands string // what follows the name, for the usage line
	summary  string
	example  string
	run      func(ctx context.Context, p *Program, fs *flag.FlagSet, args []string) error
}

// commands is every command, in the order help lists them.
var commands = []command{
	{"serve", "[flags]", "run the server (the default command)", "auctiond serve --http-addr 127.0.0.1:8080",
		func(ctx context.Context, p *Program, fs *flag.FlagSet, args []string) error {
			return p.Serve(ctx, fs, args)
		}},
	{"migrate", "[flags]", "apply database migrations and exit", "auctiond migrate", migrate},
	{"room create", "--title T --seller NAME [flags]", "create a seller (if needed) and a room, and print its addresses",
		"auctiond room create --title 'Film cameras' --seller kim --lots 3 --live", roomCreate},
	{"user promote", "REF [flags]", "make a user an admin (REF: user id or provider:subject)",
		"auctiond user promote local:kim", userChange("promote")},
	{"user demote", "REF [flags]", "take a user's seller or admin role away (back to bidder)",
		"auctiond user demote local:kim", userChange("demote")},
	{"user ban", "REF [REASON] [flags]", "bar a user from the whole site", "auctiond user ban local:troll 'spam in chat'",
		userChange("ban")},
	{"user unban", "REF [flags]", "lift a site-wide ban", "auctiond user unban local:troll", userChange("unban")},
	{"user login-link", "REF [flags]", "print a single-use sign-in URL (15 minutes) for a user",
		"auctiond user login-link local:kim", userLoginLink},
}

// Run runs the command named by args and returns the exit status; help
// goes to p.Stdout and an error, in one line, to p.Stderr.
func (p *Program) Run(ctx context.Context, args []string) int {
	err := p.dispatch(ctx, args)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(p.Stderr, "auctiond:", oneLine(err))
	if errors.As(err, new(UsageError)) {
		return ExitUsage
	}
	return ExitFailure
}

// dispatch finds the command and runs it, printing help when asked.
func (p *Program) dispatch(ctx context.Context, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		_, err := io.WriteString(p.Stdout, p.help())
		return err
	}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "room" || name == "user" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			if len(args) > 0 && isHelp(args[0]) {
				_, err := io.WriteString(p.Stdout, p.groupHelp(name))
				return err
			}
			return UsageError{fmt.Errorf("%s needs a command: %s (see `auctiond %s --help`)", name, p.verbs(name), name)}
		}
		name, args = name+" "+args[0], args[1:]
	}
	for i := range commands {
		if c := &commands[i]; c.name == name {
			return p.runCommand(ctx, c, args)
		}
	}
	return UsageError{fmt.Errorf("unknown command %q (see `auctiond help`)", name)}
}

// runCommand runs c; a -h or --help among its flags prints its help.
func (p *Program) runCommand(ctx context.Context, c *command, args []string) error {
	fs := flag.NewFlagSet("auctiond "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	badFlags := false
	fs.Usage = func() { badFlags = true } // package flag calls it when parsing fails
	err := c.run(ctx, p, fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, err = io.WriteString(p.Stdout, commandHelp(c, fs))
	case err != nil && badFlags:
		// The flags did not parse: point at the command's help.
		err = UsageError{fmt.Errorf("%s: %w (see `auctiond %s --help`)", c.name, err, c.name)}
	}
	return err
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

// oneLine joins a multi-line error (errors.Join of config problems) into one.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// migrate is `auctiond migrate`: the schema up to date, and its version.
func migrate(ctx context.Context, p *Program, fs *flag.FlagSet, args []string) error {
	s, err := p.Load(fs, args)
	if err != nil {
		return UsageError{err}
	}
	db, from, to, err := connect.Postgres(ctx, s.DatabaseURL, s.DBConnectWait, s.Log)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = fmt.Fprintf(p.Stdout, "schema at version %d (was %d)\n", to, from)
	return err
}
