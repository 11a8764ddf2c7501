// Package health answers the server's liveness and readiness probes:
// /healthz says the process is up and serving, /readyz says whether the
// stores it needs (Postgres, Redis) answer. Neither touches anything else,
// so a probe never waits behind bids or media.
package health
