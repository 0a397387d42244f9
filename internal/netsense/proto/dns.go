package proto

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// DNS query types the detectors care about.
const (
	TypeA     = 1
	TypeNS    = 2
	TypeCNAME = 5
	TypeNULL  = 10
	TypePTR   = 12
	TypeMX    = 15
	TypeTXT   = 16
	TypeAAAA  = 28
	TypeSRV   = 33
	TypeANY   = 255
)

var typeNames = map[uint16]string{1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 10: "NULL", 12: "PTR", 15: "MX", 16: "TXT",
	28: "AAAA", 33: "SRV", 35: "NAPTR", 43: "DS", 46: "RRSIG", 48: "DNSKEY", 64: "SVCB", 65: "HTTPS", 255: "ANY"}

// TypeName returns the mnemonic of a query type ("TYPE99" when unknown).
func TypeName(t uint16) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "TYPE" + strconv.Itoa(int(t))
}

var rcodeNames = []string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"}

// RCodeName returns the mnemonic of a response code.
func RCodeName(r uint8) string {
	if int(r) < len(rcodeNames) {
		return rcodeNames[r]
	}
	return "RCODE" + strconv.Itoa(int(r))
}

// DNSQuestion is one question.
type DNSQuestion struct {
	Name string // presentation form; non-printable bytes as \DDD
	Type uint16
}

// DNSAnswer is one resource record of the answer section.
type DNSAnswer struct {
	Name string
	Type uint16
	TTL  uint32
	Data string // address, target name, or TXT text (truncated)
	IP   netip.Addr
}

// DNS is one DNS message.
type DNS struct {
	ID        uint16
	Response  bool
	Opcode    uint8
	RCode     uint8
	Questions []DNSQuestion
	Answers   []DNSAnswer
	TXTBytes  int // total TXT/NULL rdata bytes in answers
	TCP       bool
}

func (*DNS) isRecord() {}

// Limits of the DNS parser.
const (
	maxDNSRecords = 64
	maxTXTKeep    = 256
)

var errDNS = errors.New("malformed dns message")

// ParseDNS parses one DNS message (without the TCP length prefix).
func ParseDNS(b []byte) (*DNS, error) {
	if len(b) < 12 {
		return nil, errDNS
	}
	m := &DNS{ID: binary.BigEndian.Uint16(b[0:2])}
	fl := binary.BigEndian.Uint16(b[2:4])
	m.Response = fl&0x8000 != 0
	m.Opcode = uint8(fl>>11) & 0xf
	m.RCode = uint8(fl & 0xf)
	qd := int(binary.BigEndian.Uint16(b[4:6]))
	an := int(binary.BigEndian.Uint16(b[6:8]))
	if qd > maxDNSRecords || qd == 0 && an == 0 && !m.Response {
		return nil, errDNS
	}
	off := 12
	for i := 0; i < qd; i++ {
		name, n, err := dnsName(b, off)
		if err != nil || n+4 > len(b) {
			return nil, errDNS
		}
		m.Questions = append(m.Questions, DNSQuestion{Name: name, Type: binary.BigEndian.Uint16(b[n : n+2])})
		off = n + 4
	}
	for i := 0; i < an && i < maxDNSRecords; i++ {
		name, n, err := dnsName(b, off)
		if err != nil || n+10 > len(b) {
			break // keep the questions of a truncated response
		}
		a := DNSAnswer{Name: name, Type: binary.BigEndian.Uint16(b[n : n+2]), TTL: binary.BigEndian.Uint32(b[n+4 : n+8])}
		rdl := int(binary.BigEndian.Uint16(b[n+8 : n+10]))
		rd := n + 10
		if rd+rdl > len(b) {
			break
		}
		rdata := b[rd : rd+rdl]
		switch a.Type {
		case TypeA:
			if rdl == 4 {
				a.IP = netip.AddrFrom4([4]byte(rdata))
				a.Data = a.IP.String()
			}
		case TypeAAAA:
			if rdl == 16 {
				a.IP = netip.AddrFrom16([16]byte(rdata))
				a.Data = a.IP.String()
			}
		case TypeCNAME, TypeNS, TypePTR:
			a.Data, _, _ = dnsName(b, rd)
		case TypeMX:
			if rdl > 2 {
				a.Data, _, _ = dnsName(b, rd+2)
			}
		case TypeTXT:
			m.TXTBytes += rdl
			var sb strings.Builder
			for p := 0; p < len(rdata) && sb.Len() < maxTXTKeep; {
				l := int(rdata[p])
				p++
				end := min(p+l, len(rdata))
				sb.Write(rdata[p:end])
				p = end
			}
			a.Data = printable(sb.String(), maxTXTKeep)
		case TypeNULL:
			m.TXTBytes += rdl
		}
		m.Answers = append(m.Answers, a)
		off = rd + rdl
	}
	return m, nil
}

// dnsName reads a possibly compressed name at off and returns it with the
// offset after it. Compression loops and over-long names are errors.
func dnsName(b []byte, off int) (string, int, error) {
	var sb strings.Builder
	end := -1
	jumps := 0
	for {
		if off >= len(b) {
			return "", 0, errDNS
		}
		l := int(b[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			if sb.Len() == 0 {
				return ".", end, nil
			}
			return sb.String(), end, nil
		case l&0xc0 == 0xc0:
			if off+1 >= len(b) || jumps > 32 {
				return "", 0, errDNS
			}
			if end < 0 {
				end = off + 2
			}
			off = int(binary.BigEndian.Uint16(b[off:off+2]) & 0x3fff)
			jumps++
		case l&0xc0 != 0:
			return "", 0, errDNS
		default:
			if off+1+l > len(b) || sb.Len()+l > 1024 {
				return "", 0, errDNS
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			for _, c := range b[off+1 : off+1+l] {
				if c <= ' ' || c >= 0x7f || c == '.' || c == '\\' {
					sb.WriteByte('\\')
					sb.WriteString(strconv.Itoa(int(c)))
					continue
				}
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				sb.WriteByte(c)
			}
			off += 1 + l
		}
	}
}

func printable(s string, n int) string {
	var sb strings.Builder
	for i := 0; i < len(s) && sb.Len() < n; i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f {
			sb.WriteByte('.')
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// dnsTCP frames DNS messages on a TCP stream by their 2-byte length.
type dnsTCP struct {
	buf  [2]buffer
	emit Emit
}

func newDNSTCP(lim *Limits, emit Emit) *dnsTCP {
	d := &dnsTCP{emit: emit}
	d.buf[0].max, d.buf[1].max = 65537, 65537
	return d
}

func (d *dnsTCP) Data(dir int, p []byte) {
	b := &d.buf[dir]
	for len(p) > 0 && !b.dead {
		take := min(len(p), b.max-len(b.b))
		b.add(p[:take])
		p = p[take:]
		for len(b.b) >= 2 {
			n := int(binary.BigEndian.Uint16(b.b))
			if len(b.b) < 2+n {
				break
			}
			if m, err := ParseDNS(b.b[2 : 2+n]); err == nil {
				m.TCP = true
				d.emit(dir, m)
			}
			b.consume(2 + n)
		}
	}
}

func (d *dnsTCP) Gap(dir int) { d.buf[dir].dead = true }
