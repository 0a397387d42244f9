package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

// pcapFile builds a classic pcap with the given order and records of
// (captured bytes, wire length).
func pcapFile(order binary.ByteOrder, nano bool, link uint32, recs ...[2]int) []byte {
	var b bytes.Buffer
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	w := func(v any) { _ = binary.Write(&b, order, v) }
	w(magic)
	w(uint16(2))
	w(uint16(4))
	w(int32(0))
	w(uint32(0))
	w(uint32(65535))
	w(link)
	for i, r := range recs {
		w(uint32(1700000000 + i))
		w(uint32(500))
		w(uint32(r[0]))
		w(uint32(r[1]))
		b.Write(bytes.Repeat([]byte{byte(i)}, r[0]))
	}
	return b.Bytes()
}

type ngBlock struct {
	typ  uint32
	body []byte
}

func pcapngFile(order binary.ByteOrder, blocks ...ngBlock) []byte {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, order, v) }
	// section header
	w(uint32(blockSHB))
	w(uint32(28))
	w(uint32(0x1a2b3c4d))
	w(uint16(1))
	w(uint16(0))
	w(int64(-1))
	w(uint32(28))
	for _, bl := range blocks {
		body := bl.body
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		w(bl.typ)
		w(uint32(12 + len(body)))
		b.Write(body)
		w(uint32(12 + len(body)))
	}
	return b.Bytes()
}

func idb(order binary.ByteOrder, link uint16, tsresol byte) ngBlock {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, order, v) }
	w(link)
	w(uint16(0))
	w(uint32(0))
	if tsresol != 0 {
		w(uint16(9))
		w(uint16(1))
		b.Write([]byte{tsresol, 0, 0, 0})
		w(uint32(0)) // opt_endofopt
	}
	return ngBlock{blockIDB, b.Bytes()}
}

func epb(order binary.ByteOrder, ifc uint32, ts uint64, data []byte, wire uint32) ngBlock {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, order, v) }
	w(ifc)
	w(uint32(ts >> 32))
	w(uint32(ts))
	w(uint32(len(data)))
	w(wire)
	b.Write(data)
	return ngBlock{blockEPB, b.Bytes()}
}

func readAll(t *testing.T, data []byte) ([]Packet, error) {
	t.Helper()
	src, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out []Packet
	for {
		p, err := src.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		p.Data = append([]byte(nil), p.Data...)
		out = append(out, p)
	}
}

func TestPcapBothOrdersAndResolutions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		order binary.ByteOrder
		nano  bool
		nanos int64
	}{
		{"le-usec", binary.LittleEndian, false, 1700000000*1e9 + 500*1e3},
		{"be-usec", binary.BigEndian, false, 1700000000*1e9 + 500*1e3},
		{"le-nsec", binary.LittleEndian, true, 1700000000*1e9 + 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pk, err := readAll(t, pcapFile(tc.order, tc.nano, LinkEthernet, [2]int{60, 60}, [2]int{96, 1514}))
			if err != nil {
				t.Fatal(err)
			}
			if len(pk) != 2 || pk[0].TimeNanos != tc.nanos || pk[1].WireLen != 1514 || len(pk[1].Data) != 96 || pk[1].LinkType != LinkEthernet {
				t.Fatalf("got %+v", pk)
			}
		})
	}
}

func TestPcapNGSeveralInterfaces(t *testing.T) {
	o := binary.BigEndian
	data := pcapngFile(o,
		idb(o, LinkEthernet, 0),
		idb(o, LinkRaw, 9), // nanosecond timestamps
		ngBlock{0x0bad, []byte("custom block skipped")},
		epb(o, 0, 1700000000_000001, []byte{1, 2, 3, 4}, 4),
		epb(o, 1, 1700000000_000000002, []byte{5, 6}, 1500),
	)
	pk, err := readAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(pk) != 2 {
		t.Fatalf("got %d packets", len(pk))
	}
	if pk[0].LinkType != LinkEthernet || pk[0].TimeNanos != 1700000000_000001000 {
		t.Errorf("packet 0: %+v", pk[0])
	}
	if pk[1].LinkType != LinkRaw || pk[1].Interface != 1 || pk[1].TimeNanos != 1700000000_000000002 || pk[1].WireLen != 1500 {
		t.Errorf("packet 1: %+v", pk[1])
	}
}

func TestBadInputsAreErrorsNotPanics(t *testing.T) {
	le := binary.LittleEndian
	good := pcapFile(le, false, LinkEthernet, [2]int{60, 60})
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a pcap"},
		{"text", []byte("hello world"), "not a pcap"},
		{"truncated record", good[:len(good)-10], "truncated"},
		{"huge record", pcapFile(le, false, LinkEthernet, [2]int{0, 0})[:24], ""},
		{"packet before interface", pcapngFile(le, epb(le, 0, 0, []byte{1}, 1)), "undeclared interface"},
		{"bad block length", append(pcapngFile(le), 6, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f), "bad length"},
	}
	// a record claiming 1 GiB
	huge := pcapFile(le, false, LinkEthernet)
	huge = binary.LittleEndian.AppendUint32(huge, 1)
	huge = binary.LittleEndian.AppendUint32(huge, 0)
	huge = binary.LittleEndian.AppendUint32(huge, 1<<30)
	huge = binary.LittleEndian.AppendUint32(huge, 1<<30)
	tests[3].data, tests[3].want = huge, "exceeds limit"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.want == "not a pcap" && !errors.Is(err, ErrFormat) {
				t.Errorf("not ErrFormat: %v", err)
			}
		})
	}
}

// TestCorpusOpensByMagic reads every capture of the corpus to the end; the
// packet count must match LABELS.tsv (whose ndpi-tcp-scan-small.pcapng is a
// classic pcap in disguise).
func TestCorpusOpensByMagic(t *testing.T) {
	dir := corpus.Dir(t, "pcap")
	labels, err := os.ReadFile(filepath.Join(dir, "LABELS.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(labels)), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		t.Run(f[0], func(t *testing.T) {
			src, err := OpenFile(filepath.Join(dir, f[0]))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			n := 0
			for {
				_, err := src.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("after %d packets: %v", n, err)
				}
				n++
			}
			if want := f[3]; want != itoa(n) {
				t.Errorf("read %d packets, LABELS says %s", n, want)
			}
		})
	}
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}

func FuzzReader(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	f.Add(pcapFile(le, false, LinkEthernet, [2]int{60, 60}, [2]int{10, 1500}))
	f.Add(pcapFile(be, true, LinkSLL, [2]int{20, 20}))
	f.Add(pcapngFile(le, idb(le, LinkEthernet, 6), epb(le, 0, 1, []byte{1, 2, 3}, 3)))
	f.Add(pcapngFile(be, idb(be, LinkNull, 0x89), ngBlock{blockSPB, []byte{0, 0, 0, 4, 1, 2, 3, 4}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i < 10000; i++ {
			p, err := src.Next()
			if err != nil {
				return
			}
			if len(p.Data) > MaxSnap || p.WireLen < len(p.Data) {
				t.Fatalf("bad packet: caplen %d wire %d", len(p.Data), p.WireLen)
			}
		}
	})
}
