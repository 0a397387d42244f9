package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/storetest"
)

// FuzzFieldQuery compares exact-match field queries (names and values come
// from the API, untrusted) with the reference semantics on event.Flatten:
// same events, no error, no panic, whatever the name or value.
func FuzzFieldQuery(f *testing.F) {
	for _, seed := range [][2]string{
		{"host.name", "host-a.local"}, {"process.pid", "102"}, {"threat.technique.id", "T1059"},
		{"labels.team.name", "soc"}, {"winlog.event_data.LogonType", "3"}, {"flag", "true"},
		{"nested.deep.key", "evil.test"}, {"process.command_line", `C:\Windows\System32\cmd.exe /c whoami`},
		{`a"b`, `x' OR 1=1 --`}, {"$.x", "%"}, {"message", "100% CPU on a_b"}, {"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	evs := storetest.GenEvents(77, 60) // small: the fuzzer instruments all of SQLite
	if _, err := s.AppendEvents(ctx, evs); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		q := store.EventQuery{Fields: map[string]string{name: value}, Limit: 1000}
		p, err := s.QueryEvents(ctx, q)
		if err != nil {
			t.Fatalf("QueryEvents(%q=%q): %v", name, value, err)
		}
		var got, want []string
		for _, e := range p.Events {
			got = append(got, e.ID)
		}
		for _, e := range evs {
			if storetest.Matches(e, q) {
				want = append(want, e.ID)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%q=%q: store found %d events, reference %d", name, value, len(got), len(want))
		}
	})
}
