//go:build !linux

package loadtest

import (
	"errors"
	"net"
)

// enableRxStamps is Linux-only: elsewhere viewers report no arrival latency.
func enableRxStamps(*net.UDPConn) error { return errors.New("receive timestamps need Linux") }

func rxStamp([]byte) (int64, bool) { return 0, false }
