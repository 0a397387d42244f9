package miner

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)

// hexWords renders an address the way the kernel does on this machine:
// each 32-bit word as a number in host byte order.
func hexWords(a netip.Addr) string {
	b := a.AsSlice()
	var s strings.Builder
	for i := 0; i < len(b); i += 4 {
		s.WriteString(strings.ToUpper(hex8(binary.NativeEndian.Uint32(b[i:]))))
	}
	return s.String()
}

func hex8(v uint32) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		out[i] = digits[v&15]
		v >>= 4
	}
	return string(out)
}

func TestParseTCP(t *testing.T) {
	v4l, v4r := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.203.0.2")
	v6l, v6r := netip.MustParseAddr("fd00::1"), netip.MustParseAddr("2001:db8::1234")
	mapped := netip.MustParseAddr("::ffff:192.0.2.9")
	table := strings.Join([]string{
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
		"   0: " + hexWords(v4l) + ":1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0",
		"   1: " + hexWords(v4l) + ":D431 " + hexWords(v4r) + ":0D05 01 00000000:00000000 00:00000000 00000000  1000        0 2222 1 0000000000000000 20 4 30 10 -1",
		"   2: " + hexWords(v6l) + ":C000 " + hexWords(v6r) + ":115C 02 00000000:00000000 00:00000000 00000000  1000        0 3333 1",
		"   3: " + hexWords(v6l) + ":C001 " + hexWords(mapped) + ":0050 01 00000000:00000000 00:00000000 00000000  1000        0 4444 1",
		"   4: garbage line",
		"   5: 0100007F:1F90 0100007F:XYZ1 01 0 0 0 0 0 5555",
		"   6: 0100007F1:1F90 00000000:0000 01 0 0 0 0 0 6666",
	}, "\n")
	var got []tcpConn
	if err := parseTCP(strings.NewReader(table), func(c tcpConn) { got = append(got, c) }); err != nil {
		t.Fatal(err)
	}
	want := []tcpConn{
		{netip.AddrPortFrom(v4l, 8080), netip.AddrPortFrom(netip.IPv4Unspecified(), 0), 0x0A, 1111},
		{netip.AddrPortFrom(v4l, 0xD431), netip.AddrPortFrom(v4r, 3333), tcpEstablished, 2222},
		{netip.AddrPortFrom(v6l, 0xC000), netip.AddrPortFrom(v6r, 4444), tcpSynSent, 3333},
		{netip.AddrPortFrom(v6l, 0xC001), netip.AddrPortFrom(netip.MustParseAddr("192.0.2.9"), 80), tcpEstablished, 4444},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%v\nwant\n%v", got, want)
	}
}

func TestParseStat(t *testing.T) {
	// comm may hold spaces and parentheses; fields count from the last ')'.
	line := "4242 (evil) (x y) R 77 4242 4242 0 -1 4194304 100 0 0 0 1500 250 0 0 20 0 1 0 987654 1000 100 18446744073709551615"
	p, ok := parseStat([]byte(line))
	if !ok || p.PPID != 77 || p.Comm != "evil) (x y" || p.CPUTicks != 1750 || p.Start != 987654 {
		t.Errorf("parseStat = %+v, %v", p, ok)
	}
	for _, bad := range []string{"", "1 (x) R", "1 x) R 2", "1 (x) R a b c d e f g h i j k l m n o p q r s t"} {
		if _, ok := parseStat([]byte(bad)); ok {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

func TestSplitCmdline(t *testing.T) {
	for in, want := range map[string][]string{
		"xmrig\x00-o\x00pool:3333\x00": {"xmrig", "-o", "pool:3333"},
		"a\x00\x00b\x00":               {"a", "", "b"},
		"rewritten argv -o host:1":     {"rewritten", "argv", "-o", "host:1"},
		"\x00\x00":                     nil,
	} {
		if got := splitCmdline([]byte(in)); !slices.Equal(got, want) {
			t.Errorf("splitCmdline(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseTCP(f *testing.F) {
	f.Add([]byte("  sl  local rem\n   1: 0100007F:D431 0200CB0A:0D05 01 00000000:00000000 00:00000000 00000000  1000        0 2222 1\n"))
	f.Add([]byte("h\n 0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 0 0 0 0 0 77\n"))
	seeds, _ := filepath.Glob("testdata/corpus/*.tcp")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = parseTCP(strings.NewReader(string(b)), func(c tcpConn) {
			if !c.Remote.Addr().IsValid() || !c.Local.Addr().IsValid() {
				t.Fatalf("invalid address accepted: %v", c)
			}
		})
		_, _ = parseStat(b)
		_ = splitCmdline(b)
	})
}

func FuzzAnalyzeCmdline(f *testing.F) {
	f.Add("xmrig\x00-o\x00stratum+tcp://pool.supportxmr.com:3333\x00-u\x00" + testWallet)
	f.Add("ssh\x00-o\x00x=y")
	f.Add("a\x00--url=[::1]:3333\x00-ofoo:99999")
	seeds, _ := filepath.Glob("testdata/corpus/*.cmdline")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	d := New(Options{})
	f.Fuzz(func(t *testing.T, s string) {
		argv := strings.Split(s, "\x00")
		fa := analyzeCmdline(argv, argv[0], d.isPoolDomain)
		for _, p := range fa.pools {
			if p.Port == 0 || p.Host == "" {
				t.Fatalf("bad pool %+v", p)
			}
		}
	})
}
