package math

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// BenchmarkEntropy is math.entropy(0, filesize) over 1 MiB of random data.
// Run: go test -run '^$' -bench . ./internal/yara/module/math/
func BenchmarkEntropy(b *testing.B) {
	data := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	sc := &module.ScanContext{Data: data}
	args := []module.Value{module.Int(0), module.Int(int64(len(data)))}
	b.SetBytes(int64(len(data)))
	cpu := reference.CPUTime()
	for b.Loop() {
		if v := dataEntropy(sc, nil, args); v.F < 7.9 {
			b.Fatalf("entropy %v", v.F)
		}
	}
	reference.ReportCPU(b, cpu, int64(len(data)))
}

// TestEntropyFile computes math.entropy(0, filesize) of $MEDSHIELD_ENTROPY_FILE,
// to time against yara (docs/performance/yara-modules.md). Skipped otherwise.
func TestEntropyFile(t *testing.T) {
	p := os.Getenv("MEDSHIELD_ENTROPY_FILE")
	if p == "" {
		t.Skip("set MEDSHIELD_ENTROPY_FILE to time math.entropy over a file")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// The same 20 calls as the yara rule in docs/performance/yara-modules.md.
	sum := 0.0
	for i := range 20 {
		sum += dataEntropy(&module.ScanContext{Data: data}, nil, []module.Value{module.Int(int64(i)), module.Int(int64(len(data)))}).F
	}
	t.Logf("sum of 20 entropies %f", sum)
}
