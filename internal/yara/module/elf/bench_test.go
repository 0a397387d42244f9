package elf

import (
	"os"
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// BenchmarkLoad parses /bin/ls (when present) and a generated ELF.
// Run: go test -run '^$' -bench . -benchmem ./internal/yara/module/elf/
func BenchmarkLoad(b *testing.B) {
	inputs := map[string][]byte{"generated": buildELF(testSpecs[1])}
	if data, err := os.ReadFile("/bin/ls"); err == nil {
		inputs["ls"] = data
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
