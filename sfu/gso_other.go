//go:build !linux

package sfu

import "net"

// UDP GSO is Linux only; elsewhere every datagram is its own message.
const (
	maxGSOSegments = 1
	maxGSOBytes    = 65000
	gsoCmsgSpace   = 32
)

func gsoSupported(*net.UDPConn) bool { return false }

func putGSOCmsg([]byte, int) []byte { return nil }
