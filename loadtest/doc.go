// Package loadtest drives Bidcast with synthetic load and reports what it
// measured. cmd/loadtest is its command line; docs/loadtest.md shows how to
// run it against a local server.
//
// # Subcommands
//
// RunViewers (loadtest viewers) publishes one synthetic stream over WHIP —
// H.264 constrained baseline from an ffmpeg-generated clip plus an Opus
// tone; every PLI makes the publisher jump to the clip's next keyframe, as
// a live encoder would — and ramps up N WHEP viewers (Pion peers in this
// process). Per viewer it measures the time to connect, the time from the
// WHEP POST to the first keyframe, the forwarding latency of every video
// packet (publisher send to viewer receive on this process's monotonic
// clock: packets are matched by a hash of their payload, which the SFU
// forwards unchanged), the arrival latency of the same packets (publisher
// send to the kernel's receive stamp on the viewer's socket, so without
// this process's own WebRTC work; Linux), losses from sequence-number
// gaps after NACK,
// bitrate, and freezes (WebRTC's definition: a frame interval above
// max(3 × the mean interval, the mean + 150 ms)). The server's CPU and RSS
// come from /proc/<pid> (-server-pid) or its Prometheus /metrics
// (process_cpu_seconds_total, process_resident_memory_bytes); the
// generator's own CPU is reported too, so a saturated generator shows.
// With Nodes (-nodes, a cluster's node URLs) viewers start on the nodes in
// turn and a viewer that hears nothing for ReconnectAfter (-reconnect-after,
// 1 s) moves to the next node that answers, as the room page does when its
// node dies (failover.go); the report gives the moves' outages (last packet
// to the first keyframe on the new node) as reconnect p50/p95. The
// publisher follows its room the same way, with or without Nodes
// (pubfollow.go): when its node stops sending RTCP (for ReconnectAfter + 1 s
// in a cluster, 5 s otherwise), no longer answers HTTP after ReconnectAfter
// of silence (cluster only) or ends its session, it publishes again through
// the base URL, then each node in turn, with backoff; the report counts
// publisher_moves.
//
// RunBrowsers (loadtest browsers) opens N headless Chromium tabs through
// chromedp (Debian's /usr/bin/chromium, fake camera and microphone, no
// sandbox). A collector script (collector.js) is injected before any page
// script runs. It wraps RTCPeerConnection and WebSocket, so it needs nothing
// from the page, and every 2 s it reports getStats() deltas per tab: jitter
// buffer delay ΔjitterBufferDelay/ΔjitterBufferEmittedCount, processing
// delay ΔtotalProcessingDelay/ΔframesDecoded (which already contains the
// jitter buffer: the two are reported side by side, never added), decode
// time, freezes, packets lost and received, frame rate and the candidate
// pair's RTT; and the page's bid round trip (bid.place sent on the page's
// socket → its ack, and → its bid.accepted/bid.rejected).
//
// The page is the real room page ({url}/rooms/{id}) when the server serves
// one, else the built-in player (player.html): written into a plain page of
// the server's own origin, it signs in as a guest, joins the room over /ws
// and plays the room's WHEP stream. The contract with the real room page is
// small and optional:
//   - window.bidcast.placeBid(): when present, -bid-every calls it, so bids
//     go through the page's own code; otherwise the collector sends
//     bid.place itself on the page's /ws socket at the lot's next minimum
//     (read from the snapshot and lot events on that socket);
//   - <video data-bidcast-video>: the element whose first frame is timed
//     (else the first <video> on the page).
//
// RunBids (loadtest bids) signs in N guest bidders and watchers (POST
// /auth/guest; the rooms must take guest bids, `room create
// --guests-may-bid`, and the server needs AUTH_RATE_LIMIT_DISABLED=true for
// many sign-ins from one address and CLIENT_LIMITS_DISABLED=true for more
// sockets than WS_CONNS_PER_ADDR),
// spreads them over M rooms, and sends bids at a fixed open-loop rate: the
// schedule never waits for answers. Each room's seller signs in with the
// room's single-use seller_login_url and starts its lots in order (the next
// one when the clock closes a lot). It measures ack latency (bid.place →
// ack), decision latency (→ the bidder's own bid.accepted or bid.rejected),
// broadcast lag (bid.place → bid.accepted at every watcher), chat lag,
// accepted and rejected counts with reasons, and errors. At the end it
// ends the live lots and audits the acknowledged bids against the server's
// record (Audit): through the JSON API (each bidder's /me/bids, each lot's
// public history and result) or, with -audit-db, Postgres directly. No
// acknowledged bid may be missing or recorded twice, outcomes must match
// what bidders were told, accepted prices must rise in ingress order, and
// every sold lot must go to its highest accepted bid. Its clients read each
// message once without decoding it (wirescan.go) and decode only what they
// need: a bidder its own outcomes and the prices no other connection of the
// room has read yet, a watcher the seq of each accepted bid; so the
// generator's own CPU stays a small share of a shared machine.
//
// RunScenario (loadtest scenario) runs a mixed event from a JSON file
// (scenarios/evening.json): several rooms, publishers and viewers, bidders,
// watchers and chat together, and a join spike of viewers and watchers.
//
// RunHotLot (loadtest hotlot) is the decisive seconds of an auction: each
// room's lot is watched by WebSocket watchers (and, with Viewers, WHEP
// viewers of the first room's stream), then stormed by the room's
// bidders from Storm before its deadline to Overrun past it (a soft-close
// lot, whose deadline keeps moving, for MaxStorm, then a volley around the
// deadline and probes just past it). Every storm bid is kept with its send
// time against the deadline the bidder knew, the server's received_at, the
// deadline in force when it was received (the lot's deadline moved by each
// accepted bid before it, from the room events, all on the server's clock)
// and its outcome. AuditHotLots fails if a bid received before the deadline
// in force was refused as late or never decided, or one received after it
// was accepted (DESIGN invariant 1).
//
// # Shards, thresholds and CI
//
// A Shard (-shard i/N) takes rooms j with j mod N = i and 1/N of the
// viewers, tabs, bidders, watchers and rates; it waits for -start-at once
// connected and writes Samples (-samples, a file or s3://bucket/key through
// S3, signed with Signature Version 4): its report plus the raw material
// a merge needs (HistogramData buckets, ViewerSamples sums, the bids it
// sent, its view of the server's record, its hot lots). Merge (loadtest
// merge) adds counts and sums, takes percentiles from merged histograms and
// ratios over summed parts, and runs the audits once over all shards.
// ParseSLOs and Report.CheckSLOs turn -slo thresholds into checks (a missed
// one, or one on a figure the run did not measure, fails the exit status);
// Report.JUnit writes them, the audits and the run as JUnit XML.
//
// RunSFUServer runs a bare sfu.Server with an allow-all authorizer, so the
// SFU's own CPU and memory can be measured as a process without Postgres or
// Redis; RunUDPFloor and RunUDPSink measure the kernel's cost of loopback
// datagrams, the floor under any SFU on the machine.
//
// Targets are restricted to loopback unless named with -allow-host, and
// every run is bounded in count and time.
//
// # Report schema (JSON, schema "bidcast.loadtest/v1")
//
// Every subcommand writes the same document (Report); sections that do not
// apply are absent. Times are milliseconds unless a name says otherwise.
//
//	schema        "bidcast.loadtest/v1"
//	kind          viewers | browsers | bids | scenario | hotlot
//	target        base URL loaded
//	started       RFC 3339 time; seconds: wall time of the run
//	host          {cores, go_version, hostname} of the generator
//	args          the subcommand's arguments
//	viewers       ViewersSummary: viewers, connected, failed, no_keyframe,
//	              audio, pace_kbps, steady_s, connect, first_key, latency,
//	              arrival (Quantiles; n = 0 where not stamped), unmatched_packets, expected_packets,
//	              lost_packets, delivery_ratio (received / sent by the
//	              viewer's own publisher while it was measured),
//	              undelivered_packets, bitrate_kbps, audio_kbps,
//	              publisher_kbps, freezes, freeze_s, viewers_with_freeze,
//	              publisher_plis, publisher_keyframes, reconnect
//	              (Quantiles of failover moves' outages), reconnect_failed,
//	              publisher_moves (Quantiles of the publishers' moves),
//	              server_cpu_ms_per_viewer_s
//	browsers      BrowsersSummary: tabs, playing, failed, page, first_frame,
//	              jitter_buffer, processing, decode, rtt (Quantiles over
//	              tab-intervals), freezes, freeze_s, packets_lost,
//	              packets_received, fps_mean, bid_rtt, bid_decision,
//	              bids_sent, samples
//	bids          BidsSummary: rooms, bidders, watchers, target_rate,
//	              achieved_rate, sent, acked, accepted, rejected, undecided,
//	              error_replies, send_failures, skipped, no_live_lot,
//	              rejection_reasons {reason: n}, error_codes {code: n},
//	              ack, decision, lag, chat_lag (Quantiles), chat_sent,
//	              lots_started, bid_s
//	audit         AuditResult: ok, source (api | database), checked_bids,
//	              checked_lots, lost, doubled, mismatched, wrong_winner,
//	              unacked_recorded, recorded_after_error, open_lots,
//	              violations [text]
//	hot_lot       HotLotSummary: rooms, bidders, watchers, rate_per_room,
//	              storm_s, lots [{room_id, lot_id, policy,
//	              start_deadline, final_deadline, closed_at, result,
//	              accepted [{seq, received_at, deadline}], bids [HotBid:
//	              bid_id, sent_to_deadline_ms, acked, seq, received_at,
//	              deadline_in_force, received_to_deadline_ms, outcome,
//	              reason, …]}], audit (HotLotAudit: ok, checked_bids,
//	              before_deadline, after_deadline, lost_before_deadline,
//	              accepted_after_deadline, undecided, ambiguous,
//	              open_lots, violations), buckets [{from_ms, to_ms, bids,
//	              accepted, too_low, late, other, undecided}]
//	thresholds    [SLOCheck: name, op, bound, unit, text, measured,
//	              value, ok, message] when -slo was given
//	shards        how many shards a merged report came from
//	server        ProcSummary {source, cpu_cores, rss_mib, peak_rss_mib}
//	generator     ProcSummary of this process (and its Chromium children)
//	series        [Point]: one per second: t (s since start), viewers,
//	              ws_connections, fwd_p50_ms/p95/p99, ack_p50_ms/p95/p99,
//	              lag_p95_ms, decision_p95_ms/p99, bids_per_s,
//	              accepted_per_s, chat_per_s, jitter_buffer_ms,
//	              processing_ms, server_cpu_cores, server_rss_mib,
//	              gen_cpu_cores
//	error_count   every error; errors: the first 20 messages;
//	              error_times: seconds since the start of the first 10,000
//
// Quantiles is {n, p50_ms, p95_ms, p99_ms, max_ms}. A samples file
// (schema "bidcast.loadtest.samples/v1") is {schema, shard, shards,
// start_at, report, viewers (ViewerSamples), browsers (BrowserSamples),
// bids (BidSamples), hot_lot}. The HTML report (-html)
// renders the same document with inline SVG charts and loads nothing. The
// last line on stdout is the summary: space-separated key=value pairs that
// start with loadtest=<kind> and end with errors=<n>.
package loadtest
