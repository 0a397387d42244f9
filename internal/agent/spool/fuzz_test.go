package spool

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSegmentReader feeds arbitrary segment bodies to the scanner that both
// recovery and Peek use. It must terminate, never panic, and only ever yield
// records whose CRC matches, at increasing offsets inside the input.
func FuzzSegmentReader(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.seg"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var valid []byte
	for i := range 5 {
		valid = appendRecord(valid, payload(i))
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-3])
	f.Add(append(bytes.Clone(valid[:20]), valid[30:]...))
	f.Add(make([]byte, 64))
	const maxRecord = 4096
	sc := newScanner(maxRecord)
	f.Fuzz(func(t *testing.T, data []byte) {
		sc.reset(bytes.NewReader(data), segHeader)
		prevEnd := segHeader
		for sc.next() {
			if sc.recOff < prevEnd {
				t.Fatalf("record at %d overlaps previous end %d", sc.recOff, prevEnd)
			}
			start := sc.recOff - segHeader
			hdr := data[start : start+recHeader]
			n := int(binary.LittleEndian.Uint32(hdr[2:6]))
			if n != len(sc.rec) || n == 0 || n > maxRecord {
				t.Fatalf("record length %d, header says %d", len(sc.rec), n)
			}
			crc := crc32.Update(0, castagnoli, hdr[2:6])
			crc = crc32.Update(crc, castagnoli, sc.rec)
			if crc != binary.LittleEndian.Uint32(hdr[6:10]) {
				t.Fatal("yielded a record with a bad CRC")
			}
			prevEnd = sc.recOff + int64(recHeader+n)
		}
		if sc.err != nil {
			t.Fatalf("read error on in-memory input: %v", sc.err)
		}
		if sc.lastGood > segHeader+int64(len(data)) || sc.lastGood != prevEnd {
			t.Fatalf("lastGood %d, last record end %d, input %d", sc.lastGood, prevEnd, len(data))
		}
	})
}

// FuzzOpenRecovers writes arbitrary bytes as the newest segment (with or
// without a valid header) and checks that Open recovers, that every record
// it then delivers is one the scanner accepts, and that the spool keeps
// working: a record appended afterwards is delivered last.
func FuzzOpenRecovers(f *testing.F) {
	var valid []byte
	for i := range 3 {
		valid = appendRecord(valid, payload(i))
	}
	f.Add(valid, true)
	f.Add(valid[:len(valid)-4], true)
	f.Add([]byte(segMagic[:5]), false)
	f.Fuzz(func(t *testing.T, data []byte, header bool) {
		dir := t.TempDir()
		content := data
		if header {
			content = append([]byte(segMagic), data...)
		}
		if err := os.WriteFile(filepath.Join(dir, segName(7)), content, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir, Options{MaxRecordBytes: 4096, SyncInterval: -1})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer s.Close()
		if err := s.Append([]byte("last")); err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		for {
			b, err := s.Peek(100, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Records) == 0 {
				break
			}
			got = append(got, b.Records...)
			if err := s.Ack(b.Next); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) == 0 || string(got[len(got)-1]) != "last" {
			t.Fatalf("appended record not delivered last: %q", got)
		}
		if st := s.Stats(); st.Records != 0 {
			t.Fatalf("depth %d after draining", st.Records)
		}
	})
}
