package sqldb

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// NS converts a time to Unix nanoseconds for storage: 0 for the zero time,
// clamped to the int64 range (years 1678-2262) otherwise so that nonsense
// timestamps from agents still sort at the ends instead of wrapping.
func NS(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minTime):
		return math.MinInt64 + 1
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Time converts stored nanoseconds back (0 is the zero time), in UTC.
func Time(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// Text makes a string safe for a PostgreSQL text column (valid UTF-8, no
// NUL bytes); SQLite accepts anything but both dialects use the same form so
// that filters behave the same.
func Text(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// Blob returns b, or nil for an empty slice so that empty values are stored
// as NULL consistently in both dialects.
func Blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
