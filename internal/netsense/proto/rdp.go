package proto

import (
	"bytes"
	"encoding/binary"
)

// RDP is the X.224 connection request or confirm that opens an RDP session.
type RDP struct {
	Confirm   bool
	Cookie    string // "mstshash=" user name from the request
	Requested uint32 // RDP_NEG_REQ requestedProtocols
	Selected  uint32 // RDP_NEG_RSP selectedProtocol
}

func (*RDP) isRecord() {}

type rdpStream struct {
	emit Emit
	done [2]bool
	buf  [2][]byte
}

func newRDP(lim *Limits, emit Emit) *rdpStream { return &rdpStream{emit: emit} }

func (s *rdpStream) Gap(dir int) { s.done[dir] = true }

func (s *rdpStream) Data(dir int, p []byte) {
	if s.done[dir] {
		return
	}
	s.buf[dir] = append(s.buf[dir], p[:min(len(p), 1024-len(s.buf[dir]))]...)
	b := s.buf[dir]
	if len(b) < 4 {
		return
	}
	l := int(binary.BigEndian.Uint16(b[2:4]))
	if b[0] != 3 || l < 11 || l > 1024 {
		s.done[dir] = true
		return
	}
	if len(b) < l {
		return
	}
	s.done[dir] = true
	if r := ParseX224(b[4:l]); r != nil {
		s.emit(dir, r)
	}
}

// ParseX224 parses an X.224 CR/CC TPDU (after the TPKT header).
func ParseX224(b []byte) *RDP {
	if len(b) < 7 {
		return nil
	}
	code := b[1] & 0xf0
	if code != 0xe0 && code != 0xd0 {
		return nil
	}
	r := &RDP{Confirm: code == 0xd0}
	v := b[7:]
	if i := bytes.Index(v, []byte("Cookie: mstshash=")); i >= 0 {
		rest := v[i+17:]
		if e := bytes.Index(rest, []byte("\r\n")); e >= 0 {
			r.Cookie = printable(string(rest[:e]), 64)
			v = rest[e+2:]
		}
	} else if e := bytes.Index(v, []byte("\r\n")); e >= 0 { // routing token
		v = v[e+2:]
	}
	if len(v) >= 8 {
		switch v[0] {
		case 1:
			r.Requested = binary.LittleEndian.Uint32(v[4:8])
		case 2:
			r.Selected = binary.LittleEndian.Uint32(v[4:8])
		}
	}
	return r
}

// CryptoP2P marks a cryptocurrency peer-to-peer handshake (policy, not
// mining): Monero levin or Bitcoin wire protocol.
type CryptoP2P struct{ Coin string }

func (*CryptoP2P) isRecord() {}

type p2pStream struct {
	emit Emit
	coin string
	sent bool
}

func newP2P(app App, emit Emit) *p2pStream {
	coin := "monero"
	if app == AppBitcoin {
		coin = "bitcoin"
	}
	return &p2pStream{emit: emit, coin: coin}
}

func (s *p2pStream) Data(dir int, p []byte) {
	if !s.sent {
		s.sent = true
		s.emit(dir, &CryptoP2P{Coin: s.coin})
	}
}

func (s *p2pStream) Gap(int) {}
