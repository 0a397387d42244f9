package proto

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TLSClientHello summarises a ClientHello.
type TLSClientHello struct {
	SSLv2      bool   // SSLv2-format hello
	Version    uint16 // legacy_version
	MaxVersion uint16 // highest of supported_versions, or Version
	SNI        string
	ALPN       []string
	Ciphers    []uint16
	Extensions []uint16
	ESNI       bool // encrypted_server_name or encrypted_client_hello present
	JA3        string
	JA3Hash    string
	JA4        string
}

// TLSServerHello summarises a ServerHello.
type TLSServerHello struct {
	Version uint16 // negotiated (supported_versions if present)
	Cipher  uint16
	ALPN    string
}

// TLSCertificate summarises the server's leaf certificate (TLS ≤ 1.2).
type TLSCertificate struct {
	Subject, Issuer     string
	DNSNames            []string
	NotBefore, NotAfter time.Time
	SelfSigned          bool
	Chain               int
}

func (*TLSClientHello) isRecord() {}
func (*TLSServerHello) isRecord() {}
func (*TLSCertificate) isRecord() {}

type tlsDir struct {
	rec  buffer // record layer bytes
	hs   buffer // handshake bytes
	done bool
}

type tlsStream struct {
	emit Emit
	d    [2]tlsDir
}

func newTLS(lim *Limits, emit Emit) *tlsStream {
	t := &tlsStream{emit: emit}
	for i := range t.d {
		t.d[i].rec.max, t.d[i].hs.max = lim.Message+5, lim.Message
	}
	return t
}

func (t *tlsStream) Gap(dir int) { t.d[dir].done = true }

func (t *tlsStream) Data(dir int, p []byte) {
	d := &t.d[dir]
	if d.done {
		return
	}
	if len(d.rec.b) == 0 && len(p) >= 3 && p[0]&0x80 != 0 && p[2] == 1 && dir == ToServer {
		if ch := parseSSLv2Hello(p); ch != nil {
			t.emit(dir, ch)
		}
		d.done = true
		return
	}
	if !d.rec.add(p) {
		d.done = true
		return
	}
	for len(d.rec.b) >= 5 && !d.done {
		typ := d.rec.b[0]
		n := int(binary.BigEndian.Uint16(d.rec.b[3:5]))
		if d.rec.b[1] != 3 || n > 18432 {
			d.done = true
			return
		}
		if len(d.rec.b) < 5+n {
			return
		}
		body := d.rec.b[5 : 5+n]
		switch typ {
		case 22:
			if !d.hs.add(body) {
				d.done = true
				return
			}
			t.handshake(dir, d)
		case 20, 23: // ChangeCipherSpec, application data: the rest is encrypted
			d.done = true
		}
		d.rec.consume(5 + n)
	}
}

func (t *tlsStream) handshake(dir int, d *tlsDir) {
	for len(d.hs.b) >= 4 && !d.done {
		typ := d.hs.b[0]
		n := int(d.hs.b[1])<<16 | int(d.hs.b[2])<<8 | int(d.hs.b[3])
		if n > d.hs.max {
			d.done = true
			return
		}
		if len(d.hs.b) < 4+n {
			return
		}
		msg := d.hs.b[4 : 4+n]
		switch typ {
		case 1:
			if ch, err := ParseClientHello(msg); err == nil {
				t.emit(dir, ch)
			}
		case 2:
			if sh, err := parseServerHello(msg); err == nil {
				t.emit(dir, sh)
				if sh.Version == 0x0304 {
					d.done = true // the rest of the handshake is encrypted
				}
			}
		case 11:
			if c := parseCertificates(msg); c != nil {
				t.emit(dir, c)
			}
			d.done = true
		}
		d.hs.consume(4 + n)
	}
}

func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

type reader struct {
	b   []byte
	bad bool
}

func (r *reader) u8() int {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

func (r *reader) u16() int {
	if len(r.b) < 2 {
		r.bad = true
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return int(v)
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// ParseClientHello parses a ClientHello handshake body and computes its
// JA3 and JA4 fingerprints.
func ParseClientHello(msg []byte) (*TLSClientHello, error) {
	r := &reader{b: msg}
	ch := &TLSClientHello{Version: uint16(r.u16())}
	r.bytes(32)
	r.bytes(r.u8())
	cs := r.bytes(r.u16())
	r.bytes(r.u8())
	if r.bad || len(cs)%2 != 0 {
		return nil, fmt.Errorf("tls client hello: truncated")
	}
	for i := 0; i+1 < len(cs); i += 2 {
		ch.Ciphers = append(ch.Ciphers, binary.BigEndian.Uint16(cs[i:]))
	}
	var groups, sigalgs []uint16
	var formats []uint8
	ch.MaxVersion = ch.Version
	if len(r.b) >= 2 {
		ext := &reader{b: r.bytes(r.u16())}
		for len(ext.b) >= 4 && len(ch.Extensions) < 128 {
			typ := uint16(ext.u16())
			body := &reader{b: ext.bytes(ext.u16())}
			if ext.bad {
				break
			}
			ch.Extensions = append(ch.Extensions, typ)
			switch typ {
			case 0: // server_name
				list := &reader{b: body.bytes(body.u16())}
				for len(list.b) > 3 {
					kind := list.u8()
					name := list.bytes(list.u16())
					if kind == 0 && !list.bad {
						ch.SNI = printable(strings.ToLower(string(name)), 255)
						break
					}
				}
			case 16: // ALPN
				list := &reader{b: body.bytes(body.u16())}
				for len(list.b) > 0 && len(ch.ALPN) < 16 {
					p := list.bytes(list.u8())
					if list.bad {
						break
					}
					ch.ALPN = append(ch.ALPN, printable(string(p), 64))
				}
			case 10: // supported_groups
				g := body.bytes(body.u16())
				for i := 0; i+1 < len(g); i += 2 {
					groups = append(groups, binary.BigEndian.Uint16(g[i:]))
				}
			case 11: // ec_point_formats
				formats = append(formats, body.bytes(body.u8())...)
			case 13: // signature_algorithms
				s := body.bytes(body.u16())
				for i := 0; i+1 < len(s); i += 2 {
					sigalgs = append(sigalgs, binary.BigEndian.Uint16(s[i:]))
				}
			case 43: // supported_versions
				v := body.bytes(body.u8())
				for i := 0; i+1 < len(v); i += 2 {
					if x := binary.BigEndian.Uint16(v[i:]); !isGREASE(x) && x > ch.MaxVersion && x <= 0x0304 {
						ch.MaxVersion = x
					}
				}
			case 0xffce, 0xfe0d: // encrypted_server_name (draft ESNI), encrypted_client_hello
				ch.ESNI = true
			}
		}
	}
	ch.JA3, ch.JA3Hash = ja3(ch, groups, formats)
	ch.JA4 = ja4(ch, sigalgs)
	return ch, nil
}

func joinDec[T uint8 | uint16](v []T, skipGrease bool) string {
	var sb strings.Builder
	for _, x := range v {
		if skipGrease && isGREASE(uint16(x)) {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('-')
		}
		sb.WriteString(strconv.Itoa(int(x)))
	}
	return sb.String()
}

func ja3(ch *TLSClientHello, groups []uint16, formats []uint8) (string, string) {
	s := strconv.Itoa(int(ch.Version)) + "," + joinDec(ch.Ciphers, true) + "," + joinDec(ch.Extensions, true) + "," +
		joinDec(groups, true) + "," + joinDec(formats, false)
	sum := md5.Sum([]byte(s))
	return s, hex.EncodeToString(sum[:])
}

func ja4(ch *TLSClientHello, sigalgs []uint16) string {
	ver := map[uint16]string{0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2"}[ch.MaxVersion]
	if ver == "" {
		ver = "00"
	}
	sni := "i"
	if ch.SNI != "" {
		sni = "d"
	}
	var ciphers, exts []string
	for _, c := range ch.Ciphers {
		if !isGREASE(c) {
			ciphers = append(ciphers, fmt.Sprintf("%04x", c))
		}
	}
	nExt := 0
	for _, e := range ch.Extensions {
		if isGREASE(e) {
			continue
		}
		nExt++
		if e != 0 && e != 16 {
			exts = append(exts, fmt.Sprintf("%04x", e))
		}
	}
	alpn := "00"
	if len(ch.ALPN) > 0 && len(ch.ALPN[0]) > 0 {
		a := ch.ALPN[0]
		alpn = string(a[0]) + string(a[len(a)-1])
	}
	slices.Sort(ciphers)
	slices.Sort(exts)
	part := func(s string) string {
		if s == "" {
			return "000000000000"
		}
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:6])
	}
	c := strings.Join(exts, ",")
	if len(sigalgs) > 0 {
		var sa []string
		for _, s := range sigalgs {
			sa = append(sa, fmt.Sprintf("%04x", s))
		}
		c += "_" + strings.Join(sa, ",")
	}
	if len(exts) == 0 {
		c = ""
	}
	return fmt.Sprintf("t%s%s%02d%02d%s_%s_%s", ver, sni, min(len(ciphers), 99), min(nExt, 99), alpn,
		part(strings.Join(ciphers, ",")), part(c))
}

func parseServerHello(msg []byte) (*TLSServerHello, error) {
	r := &reader{b: msg}
	sh := &TLSServerHello{Version: uint16(r.u16())}
	r.bytes(32)
	r.bytes(r.u8())
	sh.Cipher = uint16(r.u16())
	r.u8()
	if r.bad {
		return nil, fmt.Errorf("tls server hello: truncated")
	}
	if len(r.b) >= 2 {
		ext := &reader{b: r.bytes(r.u16())}
		for len(ext.b) >= 4 {
			typ := ext.u16()
			body := &reader{b: ext.bytes(ext.u16())}
			if ext.bad {
				break
			}
			switch typ {
			case 43:
				sh.Version = uint16(body.u16())
			case 16:
				list := &reader{b: body.bytes(body.u16())}
				sh.ALPN = printable(string(list.bytes(list.u8())), 64)
			}
		}
	}
	return sh, nil
}

func parseCertificates(msg []byte) *TLSCertificate {
	r := &reader{b: msg}
	n := r.u8()<<16 | r.u16()
	list := &reader{b: r.bytes(n)}
	var out *TLSCertificate
	count := 0
	for len(list.b) > 3 && count < 16 {
		l := list.u8()<<16 | list.u16()
		der := list.bytes(l)
		if list.bad {
			break
		}
		count++
		if out == nil {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil
			}
			out = &TLSCertificate{Subject: c.Subject.CommonName, Issuer: c.Issuer.CommonName,
				NotBefore: c.NotBefore, NotAfter: c.NotAfter, SelfSigned: c.Subject.String() == c.Issuer.String()}
			if len(c.DNSNames) > 16 {
				out.DNSNames = c.DNSNames[:16]
			} else {
				out.DNSNames = c.DNSNames
			}
		}
	}
	if out != nil {
		out.Chain = count
	}
	return out
}

func parseSSLv2Hello(p []byte) *TLSClientHello {
	if len(p) < 11 {
		return nil
	}
	ch := &TLSClientHello{SSLv2: true, Version: binary.BigEndian.Uint16(p[3:5])}
	ch.MaxVersion = ch.Version
	csl := int(binary.BigEndian.Uint16(p[5:7]))
	cs := p[11:]
	if csl > len(cs) {
		csl = len(cs) - len(cs)%3
	}
	for i := 0; i+2 < csl; i += 3 {
		if p[11+i] == 0 { // SSLv3/TLS suites are carried as 00 xx yy
			ch.Ciphers = append(ch.Ciphers, binary.BigEndian.Uint16(cs[i+1:]))
		}
	}
	return ch
}
