// Package loadtest drives Bidcast with synthetic load and reports what it
// measured.
//
// The viewers scenario (RunViewers) publishes one synthetic H.264 constrained
// baseline stream over WHIP and ramps up N WHEP viewers (Pion peers in this
// process). It measures, per viewer, the time to connect, the time from the
// WHEP POST to the first keyframe, the forwarding latency of every packet
// (publisher send to viewer receive, on this process's monotonic clock:
// packets are matched by a hash of their payload, which the SFU forwards
// unchanged), losses from sequence-number gaps and bitrate; and the CPU time
// and RSS of the server process (read from /proc/<pid>) and of this process.
//
// RunSFUServer runs a bare sfu.Server with an allow-all authorizer, so that
// the SFU's own CPU and memory can be measured as a separate process without
// Postgres or Redis.
//
// Targets are restricted to loopback unless explicitly allowed: a load test
// must never hit a machine by accident.
package loadtest
