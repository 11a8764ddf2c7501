// Package ratelimit holds the server's two kinds of per-client limits, both
// kept in Redis so that every node shares one budget per client:
//
//   - Window counts requests in fixed windows (the JSON API, sign-in,
//     WHIP/WHEP offers). A fixed window lets a burst of twice the budget
//     straddle a boundary; for shedding abuse that is good enough and costs
//     one round trip.
//   - Slots counts things held open (WebSocket connections, WHEP sessions)
//     per user and per address. Each held slot is a member of a sorted set
//     scored with its expiry; the holder's node refreshes it while it lives
//     and removes it when it ends, and a node that dies leaves slots that
//     expire by themselves after the TTL, so a crash never leaks a slot for
//     long.
//
// Both fail open: when Redis does not answer, the request goes through and
// the caller logs it, because an outage of a limiter must not become an
// outage of the service (which needs Redis anyway).
//
// Window is stateless; Slots runs one heartbeat goroutine until Close. Both
// are safe for concurrent use.
package ratelimit
