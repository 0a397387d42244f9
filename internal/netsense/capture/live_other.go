//go:build !linux

package capture

import (
	"errors"
	"fmt"
)

// ErrTimeout is returned by a live source when no frame arrived in time.
var ErrTimeout = errors.New("capture: no packet within timeout")

// OpenLive is only available on Linux (AF_PACKET).
func OpenLive(name string, snap int) (Source, error) {
	return nil, fmt.Errorf("open %s: live capture needs Linux AF_PACKET; use --pcap on this system", name)
}
