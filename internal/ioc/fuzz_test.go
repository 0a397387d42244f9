package ioc

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to format detection and every reader; it
// must never panic, and whatever loads must be findable again.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`[{"type":"indicator","pattern":"[a:b = 'c' OR (d:e IN ('f',"}]`))
	f.Add([]byte(`{"response":[{"Event":{"Attribute":[{"type":"domain|ip","value":"a|b"}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewSet()
		_, _ = s.Load(bytes.NewReader(data), "fuzz")
		_, _ = parseSTIXPattern(string(data))
		_ = Classify(string(data))
		_, _ = s.LookupDomain(string(data))
		_, _ = s.LookupURL(string(data))
	})
}
