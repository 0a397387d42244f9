package scansched

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is when a scheduled scan runs: daily at a local wall-clock time,
// or every fixed interval.
type Schedule struct {
	daily    bool
	hour     int
	minute   int
	interval time.Duration
}

// ParseSchedule accepts "daily at HH:MM" (24-hour, local time) and
// "every N hours" / "every N minutes" (N ≥ 1; "hour" and "minute" also
// accepted; at least 5 minutes).
func ParseSchedule(s string) (Schedule, error) {
	f := strings.Fields(strings.ToLower(s))
	switch {
	case len(f) == 3 && f[0] == "daily" && f[1] == "at":
		hh, mm, ok := strings.Cut(f[2], ":")
		h, err1 := strconv.Atoi(hh)
		m, err2 := strconv.Atoi(mm)
		if !ok || err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(mm) != 2 {
			return Schedule{}, fmt.Errorf("schedule %q: expected daily at HH:MM", s)
		}
		return Schedule{daily: true, hour: h, minute: m}, nil
	case len(f) == 3 && f[0] == "every":
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 1 || n > 10000 {
			return Schedule{}, fmt.Errorf("schedule %q: expected a count from 1 to 10000", s)
		}
		var unit time.Duration
		switch f[2] {
		case "hour", "hours", "h":
			unit = time.Hour
		case "minute", "minutes", "min":
			unit = time.Minute
		default:
			return Schedule{}, fmt.Errorf("schedule %q: unit must be hours or minutes", s)
		}
		d := time.Duration(n) * unit
		if d < 5*time.Minute {
			return Schedule{}, fmt.Errorf("schedule %q: interval under 5 minutes", s)
		}
		return Schedule{interval: d}, nil
	}
	return Schedule{}, fmt.Errorf("schedule %q: expected \"daily at HH:MM\" or \"every N hours\"", s)
}

// String returns the schedule in ParseSchedule's syntax.
func (s Schedule) String() string {
	if s.daily {
		return fmt.Sprintf("daily at %02d:%02d", s.hour, s.minute)
	}
	if s.interval%time.Hour == 0 {
		return fmt.Sprintf("every %d hours", s.interval/time.Hour)
	}
	return fmt.Sprintf("every %d minutes", s.interval/time.Minute)
}

// Next returns when the scan should next start, given the last completed
// start (zero if it never ran) and the current time, in now's location.
//
// Daily: the next HH:MM after now; but if a run was missed (last is before
// the most recent HH:MM, for example the machine was off) it is due now. A
// scan that never ran waits for its slot: the administrator chose a quiet
// hour. Interval: last + interval, or now if that has passed or it never ran.
func (s Schedule) Next(last, now time.Time) time.Time {
	if !s.daily {
		if last.IsZero() {
			return now
		}
		if n := last.Add(s.interval); n.After(now) {
			return n
		}
		return now
	}
	y, mo, d := now.Date()
	slot := time.Date(y, mo, d, s.hour, s.minute, 0, 0, now.Location())
	prev := slot
	if slot.After(now) {
		prev = time.Date(y, mo, d-1, s.hour, s.minute, 0, 0, now.Location())
	} else {
		slot = time.Date(y, mo, d+1, s.hour, s.minute, 0, 0, now.Location())
	}
	if !last.IsZero() && last.Before(prev) {
		return now
	}
	return slot
}
