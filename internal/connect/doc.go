// Package connect opens the two stores every command of auctiond needs,
// one way for the server and the client commands alike: Postgres through
// storage (retried while it comes up, its schema brought up to date) and
// Redis (pinged, so a wrong URL fails at start rather than on the first
// bid), and routes go-redis's own messages into the process's log.
package connect
