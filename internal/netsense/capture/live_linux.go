//go:build linux

package capture

import (
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// liveSource reads frames from an AF_PACKET socket bound to one interface
// in promiscuous mode. It uses plain recvfrom rather than a mmap ring: one
// system call per frame is enough for a hospital SPAN port on one core and
// keeps the code small; MSG_TRUNC gives the original length.
type liveSource struct {
	fd  int
	buf []byte
}

// OpenLive opens interface name for capture. It needs CAP_NET_RAW.
func OpenLive(name string, snap int) (Source, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	if snap <= 0 || snap > MaxSnap {
		snap = MaxSnap
	}
	proto := htons(unix.ETH_P_ALL)
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(proto))
	if err != nil {
		return nil, fmt.Errorf("open %s: af_packet socket: %w", name, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("open %s: bind: %w", name, err)
	}
	mreq := unix.PacketMreq{Ifindex: int32(ifi.Index), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("open %s: promiscuous mode: %w", name, err)
	}
	// A receive timeout lets the caller notice cancellation between frames.
	tv := unix.Timeval{Sec: 1}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	return &liveSource{fd: fd, buf: make([]byte, snap)}, nil
}

// ErrTimeout is returned by a live source when no frame arrived within a
// second; callers check their context and call Next again.
var ErrTimeout = fmt.Errorf("capture: no packet within timeout")

func (l *liveSource) Next() (Packet, error) {
	n, _, err := unix.Recvfrom(l.fd, l.buf, unix.MSG_TRUNC)
	if err == unix.EAGAIN || err == unix.EINTR {
		return Packet{}, ErrTimeout
	}
	if err != nil {
		return Packet{}, fmt.Errorf("capture: recvfrom: %w", err)
	}
	capLen := min(n, len(l.buf))
	return Packet{TimeNanos: time.Now().UnixNano(), Data: l.buf[:capLen], WireLen: n, LinkType: LinkEthernet}, nil
}

func (l *liveSource) Close() error { return unix.Close(l.fd) }

func htons(v uint16) uint16 { return v<<8 | v>>8 }
