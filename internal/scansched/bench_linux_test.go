package scansched

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/yara"
	"github.com/medshield/medshield/internal/yara/module/modules"
)

// benchTree writes files×size bytes of mixed content (random, text, PE-like
// headers) once per benchmark run.
func benchTree(b *testing.B, files, size int) string {
	b.Helper()
	root := b.TempDir()
	rng := rand.New(rand.NewSource(1))
	buf := make([]byte, size)
	for i := 0; i < files; i++ {
		switch i % 3 {
		case 0:
			rng.Read(buf)
		case 1:
			for j := range buf {
				buf[j] = "abcdefgh ijklmnop\n"[rng.Intn(18)]
			}
		case 2:
			rng.Read(buf)
			copy(buf, "MZ\x90\x00")
		}
		dir := filepath.Join(root, fmt.Sprintf("d%02d", i%40))
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.bin", i)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func starterYARA(b *testing.B) Scanner {
	c, err := yara.NewCompiler(yara.Options{Modules: modules.List()})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.AddPaths([]string{filepath.Join("..", "..", "rules", "yara")}); err != nil {
		b.Fatal(err)
	}
	rs, err := c.Rules()
	if err != nil {
		b.Fatal(err)
	}
	return NewYARA(rs, yara.ScanOptions{Timeout: 10 * time.Second})
}

// BenchmarkTreeScan scans a 96 MiB tree (1,536 files of 64 KiB) with the
// starter YARA rules and reports the process CPU time as a share of one
// core ("cpu-share") and the read rate. "defaults" is the agent's
// configuration (one worker, nice 10, idle I/O, 16 MiB/s, 50% CPU cap);
// "no-rate-cap" lifts the byte rate, "unlimited" also the CPU cap,
// "unlimited-normal-priority" also the low priority; "cached" rescans the
// unchanged tree.
// Run: go test -run XXX -bench TreeScan -benchtime 1x ./internal/scansched/
func BenchmarkTreeScan(b *testing.B) {
	root := benchTree(b, 1536, 64<<10)
	sc := starterYARA(b)
	for _, bc := range []struct {
		name   string
		cfg    Config
		cached bool
	}{
		{"defaults", Config{}, false},
		{"no-rate-cap", Config{BytesPerSecond: -1}, false},
		{"unlimited", Config{BytesPerSecond: -1, MaxCPU: -1}, false},
		{"unlimited-normal-priority", Config{BytesPerSecond: -1, MaxCPU: -1, Nice: -1, NormalIO: true}, false},
		{"cached", Config{}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var cpu, wall time.Duration
			var bytes int64
			for i := 0; i < b.N; i++ {
				svc, err := New(bc.cfg, sc, Callbacks{}, nil)
				if err != nil {
					b.Fatal(err)
				}
				if bc.cached {
					b.StopTimer()
					svc.ScanPaths(context.Background(), ScanConfig{Paths: []string{root}}, SourceOnDemand)
					b.StartTimer()
				}
				c0, t0 := cpuTime(), time.Now()
				sum, _ := svc.ScanPaths(context.Background(), ScanConfig{Paths: []string{root}}, SourceOnDemand)
				cpu += cpuTime() - c0
				wall += time.Since(t0)
				bytes += sum.Stats.Bytes
				if sum.Stats.Files != 1536 {
					b.Fatalf("stats %+v", sum.Stats)
				}
			}
			b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cpu-share")
			b.ReportMetric(float64(bytes)/wall.Seconds()/(1<<20), "MiB/s")
			b.ReportMetric(wall.Seconds()/float64(b.N), "s/scan")
		})
	}
}
