package spool

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// recOffset is the file offset of record i in a segment holding payload(0..).
func recOffset(i int) int64 {
	off := segHeader
	for j := range i {
		off += int64(recHeader + len(payload(j)))
	}
	return off
}

func TestSpoolRecoversDamagedSegments(t *testing.T) {
	const n = 10
	appendBytes := func(b []byte) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.Write(b)
		}
	}
	patch := func(off int64, b ...byte) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.WriteAt(b, off)
		}
	}
	hugeLen := binary.LittleEndian.AppendUint32(nil, 1<<30)
	partial := appendRecord(nil, payload(n))
	tests := []struct {
		name          string
		damage        func(t *testing.T, path string)
		torn, corrupt uint64
		want          []int
		wantSize      int64 // segment size after recovery, before new appends
	}{
		{"clean", func(*testing.T, string) {}, 0, 0, seq(0, n), recOffset(n)},
		{"partial record header", appendBytes([]byte{recMagic0, recMagic1, 0x10}), 1, 0, seq(0, n), recOffset(n)},
		{"partial payload", appendBytes(partial[:len(partial)-5]), 1, 0, seq(0, n), recOffset(n)},
		{"zero-filled tail", appendBytes(make([]byte, 4096)), 1, 0, seq(0, n), recOffset(n)},
		{"bad crc in last record", patch(recOffset(n-1)+recHeader+2, '#'), 1, 0, seq(0, n-1), recOffset(n - 1)},
		{"damaged payload in the middle", patch(recOffset(4)+recHeader+1, '#'), 0, 1, slices.Delete(seq(0, n), 4, 5), recOffset(n)},
		{"damaged length in the middle", patch(recOffset(4)+2, hugeLen...), 0, 1, slices.Delete(seq(0, n), 4, 5), recOffset(n)},
		{"damaged magic in the middle", patch(recOffset(2), 0), 0, 1, slices.Delete(seq(0, n), 2, 3), recOffset(n)},
		{"two damaged regions", func(t *testing.T, p string) {
			patch(recOffset(2)+recHeader, '#')(t, p)
			patch(recOffset(6)+recHeader, '#')(t, p)
		}, 0, 2, []int{0, 1, 3, 4, 5, 7, 8, 9}, recOffset(n)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, s, 0, n)
			s.Close()
			segs := segFiles(t, dir)
			tc.damage(t, segs[len(segs)-1])

			s = openT(t, dir, Options{})
			st := s.Stats()
			if st.TornTails != tc.torn || st.Corrupt != tc.corrupt {
				t.Errorf("torn=%d corrupt=%d, want torn=%d corrupt=%d", st.TornTails, st.Corrupt, tc.torn, tc.corrupt)
			}
			if st.Records != len(tc.want) {
				t.Errorf("depth %d records, want %d", st.Records, len(tc.want))
			}
			if fi, _ := os.Stat(segs[len(segs)-1]); fi.Size() != tc.wantSize {
				t.Errorf("segment is %d bytes after recovery, want %d", fi.Size(), tc.wantSize)
			}
			// The spool keeps working: new records follow the survivors.
			if err := s.Append(payload(100)); err != nil {
				t.Fatal(err)
			}
			wantSeq(t, drain(t, s, 3, 1<<20), append(slices.Clone(tc.want), 100))
			s.Close()
			// Counters are persisted, not recounted.
			s2 := openT(t, dir, Options{})
			if st2 := s2.Stats(); st2.TornTails != tc.torn || st2.Corrupt != tc.corrupt || st2.Records != 0 {
				t.Errorf("after second reopen %+v", st2)
			}
		})
	}
}

func TestSpoolRecoversDamagedSegmentHeaders(t *testing.T) {
	for _, tc := range []struct {
		name          string
		content       []byte
		torn, corrupt uint64
	}{
		{"newest segment torn at creation", []byte(segMagic[:3]), 1, 0},
		{"newest segment empty file", nil, 1, 0},
		{"segment with foreign header", []byte("NOTASPOOL-and-more-bytes"), 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, s, 0, 5)
			s.Close()
			segs := segFiles(t, dir)
			id, _ := parseSegName(filepath.Base(segs[0]))
			if err := os.WriteFile(filepath.Join(dir, segName(id+1)), tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			s = openT(t, dir, Options{})
			st := s.Stats()
			if st.TornTails != tc.torn || st.Corrupt != tc.corrupt {
				t.Errorf("torn=%d corrupt=%d, want %d %d", st.TornTails, st.Corrupt, tc.torn, tc.corrupt)
			}
			appendN(t, s, 5, 8)
			wantSeq(t, drain(t, s, 10, 1<<20), seq(0, 8))
		})
	}
}

func TestSpoolSurvivesUnreadableStateFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 0, 5)
	b, _ := s.Peek(2, 1<<20)
	s.Ack(b.Next)
	s.Close()
	os.WriteFile(filepath.Join(dir, ackFile), []byte("{garbage"), 0o600)
	os.WriteFile(filepath.Join(dir, stateFile), []byte("\x00\x01"), 0o600)
	s = openT(t, dir, Options{})
	// Without a readable ack everything is redelivered (the server
	// de-duplicates); nothing is lost.
	got := drain(t, s, 10, 1<<20)
	if len(got) != 5 || !bytes.Equal(got[0], payload(0)) {
		t.Errorf("got %d records, want all 5 redelivered", len(got))
	}
}

// The testdata segments were written by an independent encoder (a short
// Python script with its own CRC-32C), which pins the on-disk format.
func TestScannerOnRecordedSegments(t *testing.T) {
	for _, tc := range []struct {
		file    string
		records int
		skipped int
		tail    bool
	}{
		{"valid.seg", 4, 0, false},
		{"torn-tail.seg", 4, 0, true},
		{"damaged-middle.seg", 3, 1, false},
		{"zero-tail.seg", 4, 0, true},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		sc := newScanner(1 << 20)
		sc.reset(bytes.NewReader(data), segHeader)
		n := 0
		for sc.next() {
			if !bytes.HasPrefix(sc.rec, []byte(`{"@timestamp"`)) {
				t.Errorf("%s: record %q", tc.file, sc.rec)
			}
			n++
		}
		if n != tc.records || sc.skipped != tc.skipped || sc.tail != tc.tail {
			t.Errorf("%s: records=%d skipped=%d tail=%v, want %d %d %v", tc.file, n, sc.skipped, sc.tail, tc.records, tc.skipped, tc.tail)
		}
	}
}

func TestSpoolOpenFinishesInterruptedDeletions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  string
		value func(firstID uint64) any
	}{
		// A crash after counting a dropped segment but before deleting it.
		{"dropped segment", stateFile, func(id uint64) any { return counters{Dropped: 3, DroppedThrough: id} }},
		// A crash after writing the ack but before deleting consumed segments.
		{"acknowledged segment", ackFile, func(id uint64) any { return ackRecord{Segment: id + 1, Offset: segHeader} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := small
			s, err := Open(dir, o)
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, s, 0, 60)
			s.Close()
			segs := segFiles(t, dir)
			if len(segs) < 3 {
				t.Fatalf("want several segments, have %d", len(segs))
			}
			first, _ := parseSegName(filepath.Base(segs[0]))
			// Records in the first segment.
			sc := newScanner(o.MaxRecordBytes)
			data, _ := os.ReadFile(segs[0])
			sc.reset(bytes.NewReader(data[segHeader:]), segHeader)
			inFirst := 0
			for sc.next() {
				inFirst++
			}
			if err := writeAtomic(filepath.Join(dir, tc.file), tc.value(first), true); err != nil {
				t.Fatal(err)
			}
			s = openT(t, dir, o)
			if _, err := os.Stat(segs[0]); !os.IsNotExist(err) {
				t.Errorf("first segment still present after reopen: %v", err)
			}
			wantSeq(t, drain(t, s, 100, 1<<20), seq(inFirst, 60))
		})
	}
}
