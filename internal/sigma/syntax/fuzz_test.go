package syntax

import (
	"os"
	"path/filepath"
	"testing"
)

// seeds adds every file of testdata/corpus/<dir> to the fuzz corpus.
func seeds(f *testing.F, dir string) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "corpus", dir, "*"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

// FuzzParseFile: the YAML loader never panics and every diagnostic has a
// code and a message, whatever the input.
func FuzzParseFile(f *testing.F) {
	seeds(f, "rules")
	f.Fuzz(func(t *testing.T, data []byte) {
		file := ParseFile("fuzz.yml", data)
		for _, d := range file.Diags {
			if d.Code == "" || d.Message == "" {
				t.Fatalf("diagnostic without code or message: %+v", d)
			}
		}
		for _, doc := range file.Documents {
			if doc.Detection != nil {
				for _, c := range doc.Detection.Conditions {
					if c.Expr != nil {
						_ = c.Expr.String()
					}
				}
			}
		}
	})
}

// FuzzParseCondition: the condition parser never panics, and what it
// accepts prints back to text that parses to the same tree.
func FuzzParseCondition(f *testing.F) {
	seeds(f, "conditions")
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseCondition(string(data))
		if err != nil {
			if _, ok := err.(*ConditionError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		s := e.String()
		e2, err := ParseCondition(s)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", data, s, err)
		}
		if e2.String() != s {
			t.Fatalf("%q: round trip %q -> %q", data, s, e2.String())
		}
	})
}
