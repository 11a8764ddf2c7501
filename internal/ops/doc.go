// Package ops holds the operator's steps that `auctiond room` and
// `auctiond user` run (and that end-to-end tests reuse to set a show up):
// creating a room for a local seller, adding lots with sensible defaults
// under the API's lot rules, and changing a user's role or site ban. The
// command line only parses flags and prints; the rules are here.
package ops
