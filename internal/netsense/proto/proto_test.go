package proto

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// collect runs a stream parser over chunks and returns the records.
type rec struct {
	dir int
	r   Record
}

func feed(app App, chunks ...any) []rec {
	var out []rec
	s := NewStream(app, &DefaultLimits, func(dir int, r Record) { out = append(out, rec{dir, r}) })
	dir := ToServer
	for _, c := range chunks {
		switch v := c.(type) {
		case int:
			dir = v
		case string:
			s.Data(dir, []byte(v))
		case []byte:
			s.Data(dir, v)
		}
	}
	return out
}

// dnsQuery builds a query for name/type; answer adds one A record.
func dnsMsg(id uint16, resp bool, rcode int, name string, qtype uint16, answers ...[4]byte) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[0:], id)
	fl := uint16(rcode)
	if resp {
		fl |= 0x8000
	}
	binary.BigEndian.PutUint16(b[2:], fl)
	binary.BigEndian.PutUint16(b[4:], 1)
	binary.BigEndian.PutUint16(b[6:], uint16(len(answers)))
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	b = append(b, 0, byte(qtype>>8), byte(qtype), 0, 1)
	for _, a := range answers {
		b = append(b, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
		b = append(b, a[:]...)
	}
	return b
}

func TestParseDNS(t *testing.T) {
	loop := dnsMsg(1, false, 0, "a.example", TypeA)
	loop = append(loop[:12], 0xc0, 12, 0, 1, 0, 1) // name points at itself
	tests := []struct {
		name    string
		msg     []byte
		wantErr bool
		check   func(*DNS) string
	}{
		{"query", dnsMsg(7, false, 0, "www.Example.com", TypeTXT), false, func(m *DNS) string {
			return fmt.Sprintf("%v %s %d", m.Response, m.Questions[0].Name, m.Questions[0].Type)
		}},
		{"answer with compression", dnsMsg(7, true, 0, "a.example", TypeA, [4]byte{192, 0, 2, 1}), false, func(m *DNS) string {
			return fmt.Sprintf("%v %s %s", m.Response, m.Answers[0].Name, m.Answers[0].Data)
		}},
		{"nxdomain", dnsMsg(7, true, 3, "nope.example", TypeA), false, func(m *DNS) string { return RCodeName(m.RCode) }},
		{"raw label bytes", dnsMsg(7, false, 0, "a\x01\xff.pirate.sea", TypeNULL), false, func(m *DNS) string { return m.Questions[0].Name }},
		{"compression loop", loop, true, nil},
		{"short", []byte{1, 2, 3}, true, nil},
	}
	want := map[string]string{
		"query":                   "false www.example.com 16",
		"answer with compression": "true a.example 192.0.2.1",
		"nxdomain":                "NXDOMAIN",
		"raw label bytes":         `a\1\255.pirate.sea`,
	}
	for _, tc := range tests {
		m, err := ParseDNS(tc.msg)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err %v", tc.name, err)
			continue
		}
		if tc.check != nil {
			if got := tc.check(m); got != want[tc.name] {
				t.Errorf("%s: got %q, want %q", tc.name, got, want[tc.name])
			}
		}
	}
}

func TestDNSOverTCPFraming(t *testing.T) {
	m := dnsMsg(9, false, 0, "tcp.example", TypeA)
	framed := append([]byte{byte(len(m) >> 8), byte(len(m))}, m...)
	two := append(append([]byte{}, framed...), framed...)
	out := feed(AppDNS, two[:5], two[5:])
	if len(out) != 2 || !out[0].r.(*DNS).TCP {
		t.Fatalf("got %d records", len(out))
	}
}

func TestHTTPPipelinedChunkedAndSplit(t *testing.T) {
	req1 := "POST /upload HTTP/1.1\r\nHost: a.example\r\nUser-Agent: ua/1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n" +
		"5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n"
	req2 := "GET /q?x=1 HTTP/1.1\r\nHost: b.example\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: s\r\n\r\nhelloHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	all := req1 + req2
	out := feed(AppHTTP, all[:17], all[17:60], all[60:], ToClient, resp)
	var got []string
	for _, r := range out {
		switch v := r.r.(type) {
		case *HTTPRequest:
			got = append(got, fmt.Sprintf("%s %s %s %q", v.Method, v.Host, v.URI, v.Body))
		case *HTTPResponse:
			got = append(got, fmt.Sprintf("%d %s", v.Status, v.Server))
		}
	}
	want := []string{`POST a.example /upload "{\"a\": 1}"`, `GET b.example /q?x=1 ""`, "200 s", "404 "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestHTTPBodyLimit(t *testing.T) {
	body := strings.Repeat("x", DefaultLimits.HTTPBody+100)
	out := feed(AppHTTP, "POST / HTTP/1.1\r\nContent-Length: "+fmt.Sprint(len(body))+"\r\n\r\n"+body)
	r := out[0].r.(*HTTPRequest)
	if len(r.Body) != DefaultLimits.HTTPBody || !r.BodyTruncated {
		t.Errorf("body %d truncated %v", len(r.Body), r.BodyTruncated)
	}
}

// clientHello captures a real ClientHello from crypto/tls.
func clientHello(t testing.TB, sni string, alpn []string) []byte {
	c, s := net.Pipe()
	go func() {
		cl := tls.Client(c, &tls.Config{ServerName: sni, NextProtos: alpn, InsecureSkipVerify: true})
		cl.SetDeadline(time.Now().Add(time.Second))
		_ = cl.Handshake()
		c.Close()
	}()
	var buf bytes.Buffer
	tmp := make([]byte, 4096)
	s.SetDeadline(time.Now().Add(time.Second))
	for buf.Len() < 5 || buf.Len() < 5+int(binary.BigEndian.Uint16(buf.Bytes()[3:5])) {
		n, err := s.Read(tmp)
		buf.Write(tmp[:n])
		if err != nil {
			break
		}
	}
	s.Close()
	return buf.Bytes()
}

func TestTLSClientHello(t *testing.T) {
	hello := clientHello(t, "Pool.SupportXMR.com", []string{"h2", "http/1.1"})
	out := feed(AppTLS, hello[:7], hello[7:])
	if len(out) != 1 {
		t.Fatalf("got %d records", len(out))
	}
	ch := out[0].r.(*TLSClientHello)
	if ch.SNI != "pool.supportxmr.com" || strings.Join(ch.ALPN, ",") != "h2,http/1.1" || ch.MaxVersion != 0x0304 {
		t.Errorf("hello %+v", ch)
	}
	if !strings.HasPrefix(ch.JA3, "771,") || len(ch.JA3Hash) != 32 || strings.Count(ch.JA3, ",") != 4 {
		t.Errorf("ja3 %q %q", ch.JA3, ch.JA3Hash)
	}
	// t13 + SNI present (d) + cipher and extension counts + ALPN "h2"
	if !strings.HasPrefix(ch.JA4, "t13d") || ch.JA4[8:10] != "h2" || len(ch.JA4) != 36 {
		t.Errorf("ja4 %q", ch.JA4)
	}
}

func TestJA4KnownVector(t *testing.T) {
	// Values from the JA4 specification's worked example.
	ch := &TLSClientHello{MaxVersion: 0x0304, SNI: "x", ALPN: []string{"h2"},
		Ciphers:    []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		Extensions: []uint16{0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015}}
	sig := []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601}
	if got, want := ja4(ch, sig), "t13d1516h2_8daaf6152771_e5627efa2ab1"; got != want {
		t.Errorf("ja4 = %s, want %s", got, want)
	}
}

func TestSSLv2HelloDoesNotCrash(t *testing.T) {
	// SSLv2-format ClientHello: length 0x802e, type 1, version 3.1, 3 cipher specs.
	h := []byte{0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x10,
		0x00, 0x00, 0x04, 0x00, 0x00, 0x05, 0x01, 0x00, 0x80}
	h = append(h, bytes.Repeat([]byte{0xaa}, 16)...)
	out := feed(AppTLS, h)
	if len(out) != 1 || !out[0].r.(*TLSClientHello).SSLv2 || out[0].r.(*TLSClientHello).SNI != "" {
		t.Fatalf("got %+v", out)
	}
}

func TestIdentifyByContentNotPort(t *testing.T) {
	tests := []struct {
		first string
		port  uint16
		want  App
	}{
		{"GET / HTTP/1.1\r\n", 8443, AppHTTP},
		{"\x16\x03\x01\x02\x00", 80, AppTLS},
		{"\x00\x00\x00\x2f\xffSMBr", 8080, AppSMB},
		{"\x0bMSH|^~\\&|", 80, AppHL7},
		{"\x01\x00\x00\x00\x00\xcd\x00\x01\x00\x00", 80, AppDICOM},
		{"\x03\x00\x00\x13\x0e\xe0", 443, AppRDP},
		{`{"id":1,"method":"login"}`, 443, AppStratum},
		{"\x01\x21\x01\x01\x01\x01\x01\x01", 443, AppMonero},
		{"\x05\x00\x0b\x03\x10\x00\x00\x00\x48\x00", 49688, AppDCERPC},
		{"anything", 53, AppDNS},
		{"SSH-2.0-OpenSSH", 22, AppUnknown},
	}
	for _, tc := range tests {
		if got := Identify(ToServer, []byte(tc.first), tc.port); got != tc.want {
			t.Errorf("Identify(%q, %d) = %q, want %q", tc.first, tc.port, got, tc.want)
		}
	}
}
