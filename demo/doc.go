// Package demo gives a newcomer a live auction at once (DEMO=true, which
// `make run` sets): Seed makes a demo seller, a public live room and a few
// lots through storage, idempotently; RunPublisher broadcasts a synthetic
// moving test pattern (made once with ffmpeg's testsrc) into the room over
// the server's own WHIP endpoint, as OBS would, reconnecting when dropped;
// and an Autopilot keeps a lot running, starting the next pending one a
// short pause after each close and adding lots when the queue runs dry.
//
// NewRoom does all three for the server: it seeds the show and makes its
// autopilot, which cmd/auctiond subscribes to the room events (an
// events.Subscriber on the node's events.Feed); Room.Run prints where the
// room is, broadcasts and keeps lots running until its context ends.
package demo
