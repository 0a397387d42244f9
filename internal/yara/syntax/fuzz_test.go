package syntax

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that the parser never panics or hangs on any input.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yar")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("rule a { condition: true }"))
	f.Fuzz(func(t *testing.T, src []byte) {
		Parse(NewFileSet(), "f.yar", src)
	})
}

func TestParseSeed(t *testing.T) {
	b, err := os.ReadFile("testdata/seed.yar")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(NewFileSet(), "seed.yar", b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 3 {
		t.Fatalf("got %d declarations, want 3", len(f.Items))
	}
	r := f.Items[2].(*Rule)
	if !r.Global || !r.Private || len(r.Tags) != 2 || len(r.Meta) != 3 || len(r.Strings) != 5 {
		t.Errorf("rule parsed wrong: %+v", r)
	}
	if r.Meta[1].Value != int64(-5) {
		t.Errorf("meta score = %v, want -5", r.Meta[1].Value)
	}
}
