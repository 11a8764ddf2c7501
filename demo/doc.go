// Package demo gives a newcomer a live auction at once (DEMO=true, which
// `make run` sets): Seed makes a demo seller, a public live room and a few
// lots through storage, idempotently; RunPublisher broadcasts a synthetic
// moving test pattern (made once with ffmpeg's testsrc) into the room over
// the server's own WHIP endpoint, as OBS would, reconnecting when dropped;
// and an Autopilot keeps a lot running, starting the next pending one a
// short pause after each close and adding lots when the queue runs dry.
//
// cmd/auctiond wires it: Seed at start, the Autopilot's OnEvent on the room
// actors' event hook (bidding.RoomsConfig.OnEvent), and Run and
// RunPublisher as background goroutines.
package demo
