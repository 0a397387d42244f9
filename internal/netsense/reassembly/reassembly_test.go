package reassembly

import (
	"fmt"
	"strings"
	"testing"
)

type rec struct{ b strings.Builder }

func (r *rec) Data(b []byte) { r.b.Write(b) }
func (r *rec) Gap(n int)     { fmt.Fprintf(&r.b, "<gap %d>", n) }

type seg struct {
	seq  uint32
	data string
	wire int
}

func TestStreamOrdering(t *testing.T) {
	tests := []struct {
		name string
		lim  Limits
		segs []seg
		want string
	}{
		{"in order", DefaultLimits, []seg{{1, "hello ", 0}, {7, "world", 0}}, "hello world"},
		{"out of order", DefaultLimits, []seg{{7, "world", 0}, {1, "hello ", 0}}, "hello world"},
		{"retransmit and overlap", DefaultLimits, []seg{{1, "hello ", 0}, {1, "hello ", 0}, {4, "lo wor", 0}, {10, "ld", 0}}, "hello world"},
		{"truncated capture", DefaultLimits, []seg{{1, "head", 10}, {11, "next", 0}}, "head<gap 6>next"},
		{"depth", Limits{Depth: 5, MaxPending: 4, MaxHeld: 100}, []seg{{1, "hello ", 0}, {7, "world", 0}}, "hello"},
		{"too many pending skips the hole", Limits{Depth: 100, MaxPending: 2, MaxHeld: 100},
			[]seg{{1, "a", 0}, {5, "e", 0}, {6, "f", 0}, {7, "g", 0}}, "a<gap 3>efg"},
		{"sequence wraps", DefaultLimits, []seg{{0, "", 0}, {0xfffffffe, "ab", 0}, {0, "cd", 0}}, "abcd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := tc.lim
			s := New(&lim)
			r := &rec{}
			isn := uint32(0) // data starts at 1 unless the case says otherwise
			if tc.segs[0].data == "" {
				isn, tc.segs = 0xfffffffd, tc.segs[1:]
			}
			s.Segment(isn, true, nil, 0, r)
			for _, sg := range tc.segs {
				w := sg.wire
				if w == 0 {
					w = len(sg.data)
				}
				s.Segment(sg.seq, false, []byte(sg.data), w, r)
			}
			s.Flush(r)
			if got := r.b.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSynSetsInitialSequence(t *testing.T) {
	s := New(&DefaultLimits)
	r := &rec{}
	s.Segment(99, true, nil, 0, r)
	s.Segment(101, false, []byte("b"), 1, r) // early: held
	s.Segment(100, false, []byte("a"), 1, r)
	if r.b.String() != "ab" {
		t.Errorf("got %q", r.b.String())
	}
}

func FuzzStream(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'})
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{Depth: 1000, MaxPending: 4, MaxHeld: 64}
		s := New(&lim)
		r := &rec{}
		for len(data) >= 5 {
			seq := uint32(data[0]) | uint32(data[1])<<8
			n := int(data[4] % 16)
			data = data[5:]
			if n > len(data) {
				n = len(data)
			}
			s.Segment(seq, data != nil && seq%7 == 0, data[:n], n+int(seq%3), r)
			data = data[n:]
			if s.held > lim.MaxHeld+16 || len(s.pending) > lim.MaxPending+1 {
				t.Fatalf("held %d pending %d", s.held, len(s.pending))
			}
		}
		s.Flush(r)
	})
}
