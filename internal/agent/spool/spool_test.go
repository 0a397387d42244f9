package spool

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func payload(i int) []byte {
	// Varying sizes so that records straddle segment boundaries differently.
	return fmt.Appendf(nil, `{"seq":%d,"pad":"%s"}`, i, bytes.Repeat([]byte("x"), i%37))
}

func openT(t *testing.T, dir string, o Options) *Spool {
	t.Helper()
	s, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendN(t *testing.T, s *Spool, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := s.Append(payload(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// drain peeks and acks everything, returning the payloads in order.
func drain(t *testing.T, s *Spool, n, bytes int) [][]byte {
	t.Helper()
	var got [][]byte
	for {
		b, err := s.Peek(n, bytes)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Records) == 0 {
			return got
		}
		got = append(got, b.Records...)
		if err := s.Ack(b.Next); err != nil {
			t.Fatal(err)
		}
	}
}

func wantSeq(t *testing.T, got [][]byte, seq []int) {
	t.Helper()
	if len(got) != len(seq) {
		t.Fatalf("got %d records, want %d", len(got), len(seq))
	}
	for i, n := range seq {
		if !bytes.Equal(got[i], payload(n)) {
			t.Fatalf("record %d = %s, want %s", i, got[i], payload(n))
		}
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "seg-*.log"))
	slices.Sort(m)
	return m
}

// small makes segments rotate often; it does not fsync because these tests
// are about ordering and accounting (durability: crash_test.go).
var small = Options{MaxRecordBytes: 256, SegmentBytes: 1024, MaxBytes: 1 << 20, SyncInterval: -1}

func TestSpoolDeliversInOrderAcrossSegments(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       Options
		peekN      int
		peekBytes  int
		wantMaxSeg int
	}{
		{"default options", Options{}, 7, 1 << 20, 1},
		{"small segments", small, 13, 1 << 20, 2},
		{"byte-limited peeks", small, 1000, 100, 2},
		{"one record per peek", small, 1, 1, 2},
		{"group commit", Options{SyncInterval: 5e6, SegmentBytes: 1024, MaxRecordBytes: 256}, 10, 500, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openT(t, dir, tc.opts)
			appendN(t, s, 0, 300)
			if st := s.Stats(); st.Records != 300 {
				t.Fatalf("depth %d records, want 300", st.Records)
			}
			wantSeq(t, drain(t, s, tc.peekN, tc.peekBytes), seq(0, 300))
			st := s.Stats()
			if st.Records != 0 || st.Bytes != 0 {
				t.Errorf("after draining: %+v, want zero depth", st)
			}
			if n := len(segFiles(t, dir)); n > tc.wantMaxSeg {
				t.Errorf("%d segment files left after full ack, want <= %d", n, tc.wantMaxSeg)
			}
		})
	}
}

func TestSpoolPeekWithoutAckRepeats(t *testing.T) {
	s := openT(t, t.TempDir(), small)
	appendN(t, s, 0, 20)
	a, _ := s.Peek(5, 1<<20)
	b, _ := s.Peek(5, 1<<20)
	if len(a.Records) != 5 || !slices.EqualFunc(a.Records, b.Records, bytes.Equal) || a.Next != b.Next {
		t.Fatalf("unacked peeks differ: %d vs %d records", len(a.Records), len(b.Records))
	}
	// An older position is ignored.
	c, _ := s.Peek(10, 1<<20)
	if err := s.Ack(c.Next); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(a.Next); err != nil {
		t.Fatal(err)
	}
	wantSeq(t, drain(t, s, 100, 1<<20), seq(10, 20))
}

func TestSpoolReopenAfterAck(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, small)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 0, 100)
	var got [][]byte
	for len(got) < 45 {
		b, _ := s.Peek(9, 1<<20)
		got = append(got, b.Records...)
		if err := s.Ack(b.Next); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = openT(t, dir, small)
	if st := s.Stats(); st.Records != 55 {
		t.Errorf("depth after reopen %d, want 55", st.Records)
	}
	appendN(t, s, 100, 110)
	wantSeq(t, append(got, drain(t, s, 7, 1<<20)...), seq(0, 110))
}

func TestSpoolDropsOldestSegmentWhenFull(t *testing.T) {
	dir := t.TempDir()
	o := Options{MaxRecordBytes: 100, SegmentBytes: 1024, MaxBytes: 4096, SyncInterval: -1}
	s, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	appendN(t, s, 0, n)
	st := s.Stats()
	if st.Dropped == 0 || st.DroppedUnreported != st.Dropped {
		t.Fatalf("stats %+v: want drops, all unreported", st)
	}
	var total int64
	for _, f := range segFiles(t, dir) {
		fi, _ := os.Stat(f)
		total += fi.Size()
	}
	if total > o.MaxBytes {
		t.Errorf("spool holds %d bytes on disk, bound %d", total, o.MaxBytes)
	}
	if err := s.MarkDroppedReported(st.Dropped); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openT(t, dir, o)
	st2 := s.Stats()
	if st2.Dropped != st.Dropped || st2.DroppedUnreported != 0 {
		t.Errorf("after reopen %+v, want dropped %d persisted and reported", st2, st.Dropped)
	}
	// What is left is exactly the newest records: nothing lost silently.
	got := drain(t, s, 50, 1<<20)
	if uint64(len(got))+st.Dropped != n {
		t.Errorf("%d delivered + %d dropped != %d appended", len(got), st.Dropped, n)
	}
	wantSeq(t, got, seq(n-len(got), n))
}

func TestSpoolDropCountsOnlyUnackedRecords(t *testing.T) {
	o := Options{MaxRecordBytes: 100, SegmentBytes: 1024, MaxBytes: 4096, SyncInterval: -1}
	s := openT(t, t.TempDir(), o)
	appendN(t, s, 0, 40)
	b, _ := s.Peek(10, 1<<20)
	if err := s.Ack(b.Next); err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 40, 500)
	got := drain(t, s, 50, 1<<20)
	if st := s.Stats(); int(st.Dropped)+len(got) != 490 {
		t.Errorf("dropped %d + delivered %d, want 490 (10 were acked before)", st.Dropped, len(got))
	}
}

func TestSpoolRejectsBadRecords(t *testing.T) {
	s := openT(t, t.TempDir(), small)
	if err := s.Append(nil); err == nil {
		t.Error("empty record accepted")
	}
	if err := s.Append(make([]byte, 257)); err == nil {
		t.Error("oversized record accepted")
	}
	s.Close()
	if err := s.Append([]byte("x")); err != ErrClosed {
		t.Errorf("append after close: %v, want ErrClosed", err)
	}
}

func TestSpoolRejectQuarantinesAndMovesOn(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{RejectMaxBytes: 2000})
	appendN(t, s, 0, 30)
	for range 5 {
		b, _ := s.Peek(5, 1<<20)
		if err := s.Reject(b, "bad_json"); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Rejected != 25 || st.Records != 5 {
		t.Errorf("stats %+v, want 25 rejected and 5 waiting", st)
	}
	cur, _ := os.ReadFile(filepath.Join(dir, "rejected.ndjson"))
	old, _ := os.ReadFile(filepath.Join(dir, "rejected.1.ndjson"))
	if len(cur) == 0 || len(cur) > 2000 || len(old) > 2000 {
		t.Errorf("reject files %d and %d bytes, want bounded by 2000", len(cur), len(old))
	}
	if !bytes.Contains(cur, payload(24)) || !bytes.Contains(cur, []byte(`"reason":"bad_json"`)) {
		t.Errorf("latest rejected batch not in reject file:\n%s", cur)
	}
	wantSeq(t, drain(t, s, 100, 1<<20), seq(25, 30))
}

func TestSpoolConcurrentWriterAndReader(t *testing.T) {
	o := small
	o.MaxBytes = 64 << 20
	s := openT(t, t.TempDir(), o)
	const n = 2000
	errc := make(chan error, 1)
	go func() {
		for i := range n {
			if err := s.Append(payload(i)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	var got [][]byte
	for len(got) < n {
		b, err := s.Peek(17, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Records) == 0 {
			<-s.Ready()
			continue
		}
		got = append(got, b.Records...)
		if err := s.Ack(b.Next); err != nil {
			t.Fatal(err)
		}
		_ = s.Stats()
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	wantSeq(t, got, seq(0, n))
}
