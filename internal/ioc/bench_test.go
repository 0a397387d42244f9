package ioc

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
)

// genFeed writes n indicators: 40% domains, 30% IPs, 10% IP:port, 20% SHA-256.
func genFeed(n int) []byte {
	var b bytes.Buffer
	b.WriteString("# generated benchmark feed\n")
	for i := 0; i < n; i++ {
		switch i % 10 {
		case 0, 1, 2, 3:
			fmt.Fprintf(&b, "host%d.bad%d.example\n", i, i%977)
		case 4, 5, 6:
			fmt.Fprintf(&b, "%d.%d.%d.%d\n", 1+i>>24&0x7f, i>>16&0xff, i>>8&0xff, i&0xff)
		case 7:
			fmt.Fprintf(&b, "%d.%d.%d.%d:%d\n", 1+i>>24&0x7f, i>>16&0xff, i>>8&0xff, i&0xff, 1024+i%5000)
		default:
			fmt.Fprintf(&b, "%064x\n", uint64(i)*0x9e3779b97f4a7c15)
		}
	}
	return b.Bytes()
}

// BenchmarkLoad1M loads one million indicators from a plain list.
func BenchmarkLoad1M(b *testing.B) {
	feed := genFeed(1_000_000)
	b.SetBytes(int64(len(feed)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s := NewSet()
		if _, err := s.Load(bytes.NewReader(feed), "bench"); err != nil {
			b.Fatal(err)
		}
		if s.Len() < 990_000 {
			b.Fatalf("loaded %d", s.Len())
		}
	}
}

// benchSet returns a set of n generated indicators.
func benchSet(b *testing.B, n int) *Set {
	s := NewSet()
	if _, err := s.Load(bytes.NewReader(genFeed(n)), "bench"); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkLookupDomainMiss(b *testing.B) {
	s := benchSet(b, 1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := s.LookupDomain("a.b.c.www.hospital.example.cn"); ok {
			b.Fatal("unexpected hit")
		}
	}
}

func BenchmarkLookupIP(b *testing.B) {
	s := benchSet(b, 1_000_000)
	a := netip.MustParseAddr("10.20.30.40")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.LookupIP(a)
	}
}
