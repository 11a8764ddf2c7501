// Package cli is auctiond's command line: it finds the command named by the
// arguments, prints help, and runs the client commands (room, user), which
// act on the server's Postgres and Redis and exit. The server itself (serve)
// and the schema step (migrate) are the binary's own; it hands them in as
// functions, with the loader of its configuration, so this package knows
// nothing of how the server is wired.
//
// The shape is the one operators know: `auctiond help` and
// `auctiond --help` list the commands; `auctiond COMMAND --help` prints the
// command's usage, every flag with its default, and an example. Help goes
// to standard output with status 0. An error is one line on standard error;
// the status is 2 when the command line or the configuration is at fault
// (UsageError) and 1 when running failed.
package cli
