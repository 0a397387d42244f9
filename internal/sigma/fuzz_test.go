package sigma

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/sigma/syntax"
)

func addSeeds(f *testing.F, dir string) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "corpus", dir, "*"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

// FuzzCompileAndMatch: any rule file compiles or is rejected with reasons,
// and a compiled rule evaluates on an event without panicking.
func FuzzCompileAndMatch(f *testing.F) {
	addSeeds(f, "rules")
	ev := MapEvent{"CommandLine": "cmd /c -a /b", "Enc": "Y21k", "Ip": "10.1.1.1", "Port": "1500", "Msg": "x\ny",
		"Img": "a\\b", "Parent": "b", "User": "root", "Time": "2024-01-01T22:00:00Z", "Case": "x", "EventID": "1", "L": []any{"a", nil}}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := syntax.ParseFile("fuzz.yml", data)
		rs, diags := Compile([]*syntax.File{file}, Options{Mapping: testMapping(), Placeholders: map[string][]string{"Admins": {"root"}}})
		if rs.Stats.Rejected > len(diags.Errors()) {
			t.Fatalf("%d rejected with %d errors", rs.Stats.Rejected, len(diags.Errors()))
		}
		got := ids(rs.Match(ev))
		// The prefilter may only skip rules that cannot match.
		plain, _ := Compile([]*syntax.File{file}, Options{Mapping: testMapping(), Placeholders: map[string][]string{"Admins": {"root"}}})
		for _, c := range plain.all {
			c.gated = false
		}
		if want := ids(plain.Match(ev)); !slices.Equal(got, want) {
			t.Fatalf("with prefilter %v, without %v", got, want)
		}
		c := rs.NewCorrelator()
		for _, r := range rs.Rules {
			c.Observe(ev, parseTimeOrZero("2024-01-01T00:00:00Z"), []Match{{Rule: r}}, nil)
		}
		c.Flush()
	})
}

func parseTimeOrZero(s string) time.Time {
	t, _ := ParseTime(s)
	return t
}

// FuzzDecodeJSON: JSON events of any shape flatten without panicking.
func FuzzDecodeJSON(f *testing.F) {
	addSeeds(f, "json")
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = DecodeJSON(bytes.NewReader(data), func(ev Event) error {
			EventTime(ev)
			return nil
		})
	})
}
