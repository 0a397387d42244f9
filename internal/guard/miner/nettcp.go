package miner

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// TCP states in /proc/net/tcp (include/net/tcp_states.h).
const (
	tcpEstablished = 0x01
	tcpSynSent     = 0x02
)

// tcpConn is one row of /proc/net/tcp or tcp6.
type tcpConn struct {
	Local, Remote netip.AddrPort
	State         uint8
	Inode         uint64
}

// maxTCPLines bounds one table read (a busy server has tens of thousands).
const maxTCPLines = 1 << 20

// parseTCP reads a /proc/net/tcp or /proc/net/tcp6 table. Rows it cannot
// parse are skipped; only a read error is returned.
func parseTCP(r io.Reader, fn func(tcpConn)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), 4096)
	for n := 0; sc.Scan(); n++ {
		if n == 0 || n > maxTCPLines {
			continue // header
		}
		if c, ok := parseTCPLine(sc.Bytes()); ok {
			fn(c)
		}
	}
	return sc.Err()
}

// parseTCPLine parses "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...".
func parseTCPLine(line []byte) (tcpConn, bool) {
	f := bytes.Fields(line)
	if len(f) < 10 {
		return tcpConn{}, false
	}
	local, ok1 := parseHexAddrPort(f[1])
	remote, ok2 := parseHexAddrPort(f[2])
	st, err1 := strconv.ParseUint(string(f[3]), 16, 8)
	inode, err2 := strconv.ParseUint(string(f[9]), 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return tcpConn{}, false
	}
	return tcpConn{Local: local, Remote: remote, State: uint8(st), Inode: inode}, true
}

// parseHexAddrPort decodes "0100007F:1F90" (IPv4) or 32 hex digits (IPv6).
// The kernel prints each 32-bit word of the address as a number in host
// byte order, so the words are decoded and stored back in native order.
func parseHexAddrPort(b []byte) (netip.AddrPort, bool) {
	i := bytes.IndexByte(b, ':')
	if i < 0 || len(b)-i-1 != 4 {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(string(b[i+1:]), 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	h := b[:i]
	if len(h) != 8 && len(h) != 32 {
		return netip.AddrPort{}, false
	}
	raw := make([]byte, len(h)/2)
	if _, err := hex.Decode(raw, h); err != nil {
		return netip.AddrPort{}, false
	}
	var a [16]byte
	for w := 0; w < len(raw)/4; w++ {
		binary.NativeEndian.PutUint32(a[w*4:], binary.BigEndian.Uint32(raw[w*4:]))
	}
	var addr netip.Addr
	if len(raw) == 4 {
		addr = netip.AddrFrom4([4]byte(a[:4]))
	} else {
		addr = netip.AddrFrom16(a).Unmap()
	}
	return netip.AddrPortFrom(addr, uint16(port)), true
}

func (c tcpConn) String() string {
	return fmt.Sprintf("%s->%s st=%02X inode=%d", c.Local, c.Remote, c.State, c.Inode)
}
