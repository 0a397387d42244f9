package pe

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// BenchmarkLoad parses PE files: the generated one and, when present, a
// machine file with many imports, resources and version info.
// Run: go test -run '^$' -bench . -benchmem ./internal/yara/module/pe/
func BenchmarkLoad(b *testing.B) {
	inputs := map[string][]byte{"generated": buildPE(testSpec)}
	for _, p := range realPEs() {
		if data, err := os.ReadFile(p); err == nil && len(data) > 50000 {
			inputs[filepath.Base(p)] = data
		}
	}
	m := New()
	for name, data := range inputs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			cpu := reference.CPUTime()
			for b.Loop() {
				if _, err := m.Load(&module.ScanContext{Data: data}); err != nil {
					b.Fatal(err)
				}
			}
			reference.ReportCPU(b, cpu, int64(len(data)))
		})
	}
}

func BenchmarkImphash(b *testing.B) {
	v, _ := New().Load(&module.ScanContext{Data: buildPE(testSpec)})
	f := New().Schema().Lookup("imphash").Funcs[0]
	for b.Loop() {
		f.Impl(&module.ScanContext{}, &v, nil)
	}
}

// TestLoadDir loads every file of $MEDSHIELD_PE_DIR: run the test binary
// under /usr/bin/time to compare CPU time with `yara -p 1` on the same
// directory (see docs/performance/yara-modules.md). Skipped otherwise.
func TestLoadDir(t *testing.T) {
	dir := os.Getenv("MEDSHIELD_PE_DIR")
	if dir == "" {
		t.Skip("set MEDSHIELD_PE_DIR to time PE loading over a directory")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, n := New(), 0
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		v, _ := m.Load(&module.ScanContext{Data: data})
		n += int(v.Get("is_pe").I)
	}
	t.Logf("%d files, %d PE", len(ents), n)
}
