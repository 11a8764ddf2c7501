package sfu

import (
	"encoding/binary"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// UDP GSO (generic segmentation offload, Linux 4.18+): one sendmsg carries
// several datagrams to one destination; a UDP_SEGMENT control message gives
// the size of each, and the kernel cuts them after a single trip through its
// send path. The kernel accepts at most 64 segments (UDP_MAX_SEGMENTS on
// older kernels) and one IP packet's worth of payload per call.
const (
	maxGSOSegments = 64
	maxGSOBytes    = 65000
)

// gsoCmsgSpace is the room reserved for one UDP_SEGMENT control message
// (unix.CmsgSpace(2) is 24 bytes on 64-bit Linux, 16 on 32-bit).
const gsoCmsgSpace = 32

// gsoSupported probes the socket once: kernels that know UDP_SEGMENT answer
// getsockopt for it; older ones (and other socket types) fail.
func gsoSupported(conn *net.UDPConn) bool {
	rc, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		_, serr = unix.GetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_SEGMENT)
	}); err != nil {
		return false
	}
	return serr == nil
}

// putGSOCmsg writes a UDP_SEGMENT control message for segments of size seg
// into b and returns the part used.
func putGSOCmsg(b []byte, seg int) []byte {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(b[unix.CmsgLen(0):], uint16(seg))
	return b[:unix.CmsgSpace(2)]
}
