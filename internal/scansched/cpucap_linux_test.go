package scansched

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// burner is a scanner that spends cpu of CPU per file.
type burner struct{ cpu time.Duration }

func (b burner) Scan(ctx context.Context, name string, data []byte) ([]Detection, error) {
	start := threadCPU()
	x := 0
	for threadCPU()-start < b.cpu {
		for i := 0; i < 10000; i++ {
			x += i
		}
	}
	_ = x
	return nil, nil
}

func (burner) RulesVersion() string { return "b" }

func TestCPUCapPausesWorker(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 8; i++ {
		os.WriteFile(filepath.Join(root, fmt.Sprint(i)), []byte(fmt.Sprint("file", i)), 0o644)
	}
	for _, tc := range []struct {
		maxCPU float64
		min    time.Duration
	}{
		{-1, 0}, // uncapped: about 8×25ms of CPU
		{0.25, 8 * 25 * time.Millisecond * 4 * 9 / 10}, // 25% of a core: at least ~4× the CPU time
	} {
		svc, _ := New(Config{MaxCPU: tc.maxCPU, BytesPerSecond: -1, Nice: -1}, burner{25 * time.Millisecond}, Callbacks{}, nil)
		start := time.Now()
		sum, _ := svc.ScanPaths(context.Background(), ScanConfig{Paths: []string{root}}, SourceOnDemand)
		took := time.Since(start)
		t.Logf("MaxCPU %.2f: %d files in %s", tc.maxCPU, sum.Stats.Scanned, took)
		if sum.Stats.Scanned != 8 || took < tc.min {
			t.Fatalf("MaxCPU %.2f: %d files in %s, want at least %s", tc.maxCPU, sum.Stats.Scanned, took, tc.min)
		}
	}
}
