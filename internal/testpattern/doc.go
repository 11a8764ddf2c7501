// Package testpattern is a synthetic WebRTC publisher: it makes a moving
// H.264 test pattern (and optionally an Opus tone) once with ffmpeg,
// packetizes it, and streams it in a loop into a room over WHIP, answering
// every PLI by jumping to the clip's next keyframe as a real encoder
// would. The server's demo broadcasts it into the demo room, and the load
// test uses it as the publisher its viewers watch.
//
// It also holds the WHIP/WHEP client steps both sides of that exchange
// need (NewPeerAPI, CompleteOffer, PostSDP, WaitConnected, DeleteSession),
// which the load test's WHEP viewers reuse.
//
// It lives apart from loadtest so that the server binary, which links the
// demo, does not link the load test's headless-browser swarm.
//
// A Publisher is started by StartPublisher, sent by one Run at a time, and
// closed once; its counters are atomics, safe to read from any goroutine.
package testpattern
