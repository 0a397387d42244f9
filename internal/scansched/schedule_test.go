package scansched

import (
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means an error
	}{
		{"daily at 02:30", "daily at 02:30"},
		{"Daily At 23:59", "daily at 23:59"},
		{"daily at 0:05", "daily at 00:05"},
		{"every 6 hours", "every 6 hours"},
		{"every 1 hour", "every 1 hours"},
		{"every 90 minutes", "every 90 minutes"},
		{"every 120 minutes", "every 2 hours"},
		{"daily at 24:00", ""},
		{"daily at 12:60", ""},
		{"daily at 12:5", ""},
		{"daily at noon", ""},
		{"every 0 hours", ""},
		{"every 4 minutes", ""},
		{"every -1 hours", ""},
		{"every 3 days", ""},
		{"hourly", ""},
		{"", ""},
	} {
		s, err := ParseSchedule(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseSchedule(%q) = %v, want error", tc.in, s)
			}
			continue
		}
		if err != nil || s.String() != tc.want {
			t.Errorf("ParseSchedule(%q) = %q, %v; want %q", tc.in, s, err, tc.want)
		}
	}
}

func TestScheduleNext(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		sched, last, now, want string
	}{
		// Never ran: daily waits for its slot.
		{"daily at 02:30", "", "2026-03-10 01:00", "2026-03-10 02:30"},
		{"daily at 02:30", "", "2026-03-10 02:30", "2026-03-11 02:30"},
		{"daily at 02:30", "", "2026-03-10 09:00", "2026-03-11 02:30"},
		// Ran at today's slot: next is tomorrow.
		{"daily at 02:30", "2026-03-10 02:30", "2026-03-10 09:00", "2026-03-11 02:30"},
		// Ran yesterday, today's slot not reached.
		{"daily at 02:30", "2026-03-09 02:30", "2026-03-10 01:00", "2026-03-10 02:30"},
		// Machine was off at today's slot: due now.
		{"daily at 02:30", "2026-03-09 02:30", "2026-03-10 08:15", "2026-03-10 08:15"},
		// Year end.
		{"daily at 23:00", "2026-12-31 23:00", "2026-12-31 23:30", "2027-01-01 23:00"},
		// DST spring forward in Berlin (29 March 2026, 02:00 -> 03:00): 02:30 does
		// not exist; Go normalises it to 03:30 local.
		{"daily at 02:30", "2026-03-28 02:30", "2026-03-29 01:00", "2026-03-29 03:30"},
		// DST autumn: 25 October 2026; the slot is a wall-clock time.
		{"daily at 04:00", "2026-10-24 04:00", "2026-10-25 01:00", "2026-10-25 04:00"},
		// Intervals.
		{"every 6 hours", "", "2026-03-10 09:00", "2026-03-10 09:00"},
		{"every 6 hours", "2026-03-10 06:00", "2026-03-10 09:00", "2026-03-10 12:00"},
		{"every 6 hours", "2026-03-09 06:00", "2026-03-10 09:00", "2026-03-10 09:00"},
		{"every 90 minutes", "2026-03-10 23:00", "2026-03-10 23:10", "2026-03-11 00:30"},
	} {
		s, err := ParseSchedule(tc.sched)
		if err != nil {
			t.Fatal(err)
		}
		got := s.Next(at(tc.last), at(tc.now))
		if !got.Equal(at(tc.want)) {
			t.Errorf("%s last=%q now=%q: Next = %s, want %s", tc.sched, tc.last, tc.now, got.In(berlin).Format("2006-01-02 15:04"), tc.want)
		}
	}
}
