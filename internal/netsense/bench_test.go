package netsense_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/ioc"
	"github.com/medshield/medshield/internal/netsense"
	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect"
	"github.com/medshield/medshield/internal/netsense/packet"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

// Benchmarks (see docs/performance/sensor.md):
//
//	GOMAXPROCS=1 go test -run XXX -bench . -benchtime 3x ./internal/netsense/
//
// Each reports packets/s and Mbit/s of original wire length. The tshark
// benchmarks run 'tshark -r FILE -q' on the same file in the same run.

// million builds a set of one million generated indicators (domains, IPs,
// IP:port, SHA-256) such as a large commercial feed.
func million(b *testing.B) *ioc.Set {
	b.Helper()
	var feed bytes.Buffer
	for i := 0; i < 1_000_000; i++ {
		switch i % 10 {
		case 0, 1, 2, 3:
			fmt.Fprintf(&feed, "h%d.bad%d.example\n", i, i%977)
		case 4, 5, 6:
			fmt.Fprintf(&feed, "%d.%d.%d.%d\n", 1+i>>24&0x7f, i>>16&0xff, i>>8&0xff, i&0xff)
		case 7:
			fmt.Fprintf(&feed, "%d.%d.%d.%d:%d\n", 1+i>>24&0x7f, i>>16&0xff, i>>8&0xff, i&0xff, 1024+i%5000)
		default:
			fmt.Fprintf(&feed, "%064x\n", uint64(i)*0x9e3779b97f4a7c15)
		}
	}
	set := ioc.NewSet()
	if _, err := set.Load(&feed, "bench"); err != nil {
		b.Fatal(err)
	}
	return set
}

// mixedCapture generates a high-volume mixed capture: HTTP downloads, TLS
// sessions, DNS look-ups, HL7 messages and SMB2 reads between internal
// clients and internal/external servers, written to a temporary pcap.
func mixedCapture(b *testing.B) string {
	b.Helper()
	p := filepath.Join(os.TempDir(), "medshield-bench-mixed.pcap")
	if st, err := os.Stat(p); err == nil && st.Size() > 50<<20 {
		return p
	}
	rng := rand.New(rand.NewSource(42))
	var pk []capture.Packet
	t := pcaptest.Base
	body := func(n int) []byte { return bytes.Repeat([]byte("0123456789abcdef"), n/16) }
	for i := 0; len(pk) < 120_000; i++ {
		client := fmt.Sprintf("10.20.%d.%d", rng.Intn(50), 1+rng.Intn(250))
		ext := fmt.Sprintf("198.18.%d.%d", rng.Intn(250), 1+rng.Intn(250))
		port := uint16(1024 + i%60000)
		t = t.Add(time.Duration(rng.Intn(5)) * time.Millisecond)
		switch i % 5 {
		case 0: // HTTP download
			c := pcaptest.NewConv(t, client, port, ext, 80).Send(true, []byte("GET /file HTTP/1.1\r\nHost: cdn.example\r\nUser-Agent: bench\r\n\r\n"))
			c.Send(false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 28960\r\n\r\n"))
			for k := 0; k < 20; k++ {
				c.Send(false, body(1448))
			}
			pk = append(pk, c.Close()...)
		case 1: // TLS upload/download
			c := pcaptest.NewConv(t, client, port, ext, 443).Send(true, tlsHello("www.example.org"))
			for k := 0; k < 20; k++ {
				c.Send(k%2 == 0, append([]byte{0x17, 3, 3, 5, 0xa8}, body(1440)...))
			}
			pk = append(pk, c.Close()...)
		case 2: // DNS
			for k := 0; k < 4; k++ {
				q := dnsPacket(fmt.Sprintf("host%d.example.com", rng.Intn(1000)))
				pk = append(pk, pcaptest.UDP(t, client, port+uint16(k), "10.20.0.53", 53, q))
			}
		case 3: // HL7 inside the hospital
			m := "\x0bMSH|^~\\&|HIS|H|LIS|L|20240115||ORU^R01|1|P|2.5\rPID|1||MRN1^^^HIS^MR||WANG^WU\rOBX|1|NM|GLU||5.4\r\x1c\r"
			c := pcaptest.NewConv(t, client, port, "10.20.7.30", 2575)
			for k := 0; k < 5; k++ {
				c.Send(true, []byte(m)).Send(false, []byte("\x0bMSH|^~\\&|LIS|L|HIS|H|1||ACK|2|P|2.5\rMSA|AA|1\r\x1c\r"))
			}
			pk = append(pk, c.Close()...)
		case 4: // SMB2 file reads (opaque payload after the header)
			c := pcaptest.NewConv(t, client, port, "10.20.1.10", 445)
			for k := 0; k < 10; k++ {
				c.Send(false, append([]byte{0, 0, 5, 0xac, 0xfe, 'S', 'M', 'B'}, body(1440)...))
			}
			pk = append(pk, c.Close()...)
		}
	}
	var buf bytes.Buffer
	if err := pcaptest.WritePcap(&buf, pk); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

func tlsHello(sni string) []byte {
	ext := append([]byte{0, 0, 0, byte(len(sni) + 5), 0, byte(len(sni) + 3), 0, 0, byte(len(sni))}, sni...)
	bodyLen := 2 + 32 + 1 + 2 + 4 + 2 + 2 + len(ext)
	h := []byte{0x16, 3, 1, 0, byte(bodyLen + 4), 1, 0, 0, byte(bodyLen), 3, 3}
	h = append(h, make([]byte, 32)...)
	h = append(h, 0, 0, 4, 0x13, 1, 0xc0, 0x2f, 1, 0, 0, byte(len(ext)))
	return append(h, ext...)
}

func dnsPacket(name string) []byte {
	b := []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0, 0, 1, 0, 1)
}

// loadPackets reads capture files fully into memory (copies of each packet).
func loadPackets(b *testing.B, files ...string) ([]capture.Packet, uint64) {
	b.Helper()
	var out []capture.Packet
	var wire uint64
	for _, f := range files {
		src, err := capture.OpenFile(f)
		if err != nil {
			b.Fatal(err)
		}
		for {
			p, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			p.Data = append([]byte(nil), p.Data...)
			wire += uint64(p.WireLen)
			out = append(out, p)
		}
		src.Close()
	}
	return out, wire
}

func report(b *testing.B, pkts int, wire uint64) {
	s := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(pkts)/s, "pkts/s")
	b.ReportMetric(float64(wire)*8/s/1e6, "Mbit/s")
	b.ReportMetric(0, "ns/op")
}

func corpusFiles(b *testing.B) []string {
	files, err := netsense.CaptureFiles(corpus.Dir(b, "pcap"))
	if err != nil {
		b.Fatal(err)
	}
	return files
}

func benchDecode(b *testing.B, files []string) {
	pk, wire := loadPackets(b, files...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := packet.NewDecoder()
		var out packet.Decoded
		for _, p := range pk {
			_ = d.Decode(p, &out)
		}
	}
	report(b, len(pk), wire)
}

func benchAnalyse(b *testing.B, files []string, set *ioc.Set) {
	pk, wire := loadPackets(b, files...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, _ := netsense.New(netsense.Options{IOC: set, Detectors: detect.All()})
		for _, p := range pk {
			s.Packet(p)
		}
		s.Flush()
	}
	report(b, len(pk), wire)
}

func BenchmarkDecodeCorpus(b *testing.B) { benchDecode(b, corpusFiles(b)) }
func BenchmarkDecodeMixed(b *testing.B)  { benchDecode(b, []string{mixedCapture(b)}) }

func BenchmarkAnalyseCorpus1MIOC(b *testing.B) {
	set := million(b)
	benchAnalyse(b, corpusFiles(b), set)
}

func BenchmarkAnalyseMixed1MIOC(b *testing.B) {
	set := million(b)
	benchAnalyse(b, []string{mixedCapture(b)}, set)
}

// BenchmarkAnalyseMixedFromFile1MIOC includes reading the pcap from disk.
func BenchmarkAnalyseMixedFromFile1MIOC(b *testing.B) {
	set := million(b)
	f := mixedCapture(b)
	pk, wire := loadPackets(b, f)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, _ := netsense.New(netsense.Options{IOC: set, Detectors: detect.All()})
		if err := s.RunFile(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
	report(b, len(pk), wire)
}

func benchTshark(b *testing.B, files []string) {
	if _, err := exec.LookPath("tshark"); err != nil {
		b.Skip("tshark not installed (Debian package tshark)")
	}
	pk, wire := loadPackets(b, files...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			cmd := exec.Command("tshark", "-r", f, "-q")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("tshark %s: %v\n%s", f, err, out)
			}
		}
	}
	report(b, len(pk), wire)
}

func BenchmarkTsharkCorpus(b *testing.B) { benchTshark(b, corpusFiles(b)) }
func BenchmarkTsharkMixed(b *testing.B)  { benchTshark(b, []string{mixedCapture(b)}) }

// BenchmarkSYNFlood sends 2 million SYNs with distinct 5-tuples (a /16
// scanned on 32 source ports) through a sensor with default limits and
// reports the live heap after 0.5 and 2 million packets: it must stay flat
// once the flow table is full.
func BenchmarkSYNFlood(b *testing.B) {
	syn := pcaptest.TCP(pcaptest.Base, "10.9.9.9", 40000, "10.1.0.1", 445, 0x02, 1, 0, nil)
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc) / (1 << 20)
	}
	var at500k, at2m float64
	for i := 0; i < b.N; i++ {
		s, _ := netsense.New(netsense.Options{Detectors: detect.All()})
		p := syn
		p.Data = append([]byte(nil), syn.Data...)
		for n := 0; n < 2_000_000; n++ {
			p.Data[14+18], p.Data[14+19] = byte(n>>8), byte(n) // destination 10.1.x.y
			p.Data[34], p.Data[35] = byte(n>>16), 0x40         // source port
			p.TimeNanos = syn.TimeNanos + int64(n)*1000
			s.Packet(p)
			if n == 500_000 {
				at500k = heap()
			}
		}
		at2m = heap()
		b.ReportMetric(float64(s.Stats().FlowsEvicted), "evicted")
	}
	b.ReportMetric(at500k, "heapMiB@0.5M")
	b.ReportMetric(at2m, "heapMiB@2M")
	b.ReportMetric(0, "ns/op")
}
