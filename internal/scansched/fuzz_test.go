package scansched

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzOpenCache: the cache file is on disk and could be corrupted or
// planted; loading must never panic and never yield more than max entries.
func FuzzOpenCache(f *testing.F) {
	f.Add([]byte(`{"format":1,"rules":"r"}` + "\n" + `{"h":"00000000000000000000000000000000000000000000000000000000000000ff","id":{"Dev":1,"Ino":2,"Size":3,"MTime":4,"CTime":5},"u":1}` + "\n"))
	f.Add([]byte(`{"format":1,"rules":"r","last_runs":{"n":"2026-01-01T00:00:00Z"}}` + "\n{}\n{\"h\":1}\n"))
	f.Add([]byte("{\"format\":2}\n"))
	f.Add([]byte{0xff, 0, '\n', '{'})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "c")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := OpenCache(p, 8, "r")
		if err != nil {
			t.Fatal(err)
		}
		if h, ids := c.Len(); h > 8 || ids > 8 {
			t.Fatalf("%d hashes, %d ids over the bound", h, ids)
		}
		c.SetLastRun("x", time.Unix(1, 0))
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenCache(p, 8, "r"); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"daily at 02:30", "every 6 hours", "every 90 minutes", "daily at 24:00", "every 99999999999999999999 hours"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sch, err := ParseSchedule(s)
		if err != nil {
			return
		}
		// What parses round-trips, and Next is never in the past.
		again, err := ParseSchedule(sch.String())
		if err != nil || again != sch {
			t.Fatalf("%q -> %q does not round-trip: %v", s, sch, err)
		}
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		if n := sch.Next(now.Add(-time.Hour), now); n.Before(now) {
			t.Fatalf("%q: Next %s before now", s, n)
		}
	})
}
