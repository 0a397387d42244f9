package scansched

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestScanRespectsByteRate(t *testing.T) {
	root := t.TempDir()
	const (
		rate  = 1 << 20
		files = 6
		size  = 256 << 10 // 1.5 MiB in total
	)
	for i := 0; i < files; i++ {
		os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d.bin", i)), []byte(strings.Repeat(string(rune('a'+i)), size)), 0o644)
	}
	for _, workers := range []int{1, 3} {
		svc, _ := New(Config{BytesPerSecond: rate, Workers: workers}, newFake("v"), Callbacks{}, nil)
		start := time.Now()
		sum, _ := svc.ScanPaths(context.Background(), ScanConfig{Name: "t", Paths: []string{root}}, SourceOnDemand)
		took := time.Since(start)
		// The bucket starts full (rate/8), so the floor is (total-burst)/rate.
		total := float64(files * size)
		floor := time.Duration((total - rate/8) / rate * float64(time.Second))
		if sum.Stats.Bytes != int64(total) {
			t.Fatalf("read %d bytes, want %d", sum.Stats.Bytes, int64(total))
		}
		observed := total / took.Seconds()
		t.Logf("workers=%d: %.0f KiB/s against a limit of %d KiB/s", workers, observed/1024, rate>>10)
		if took < floor*95/100 || took > floor*2+time.Second {
			t.Fatalf("workers=%d: took %s, want about %s", workers, took, floor)
		}
	}
}

func TestLimiterConcurrentWaitersShareRate(t *testing.T) {
	l := NewLimiter(512<<10, 1)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 4; j++ {
				l.Wait(context.Background(), 16<<10)
			}
		}()
	}
	wg.Wait()
	// 256 KiB at 512 KiB/s.
	if took := time.Since(start); took < 450*time.Millisecond || took > 1500*time.Millisecond {
		t.Fatalf("took %s, want about 500ms", took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx, 1<<30); err == nil {
		t.Fatal("Wait ignored a cancelled context")
	}
	if err := NewLimiter(-1, 0).Wait(context.Background(), 1<<40); err != nil {
		t.Fatal(err)
	}
}

func TestOwedPause(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		debt, cpu, elapsed time.Duration
		share              float64
		want               time.Duration
	}{
		{0, 10 * ms, 10 * ms, 0.5, 10 * ms},   // 10ms CPU at 50%: 20ms in all
		{0, 10 * ms, 10 * ms, 0.25, 30 * ms},  // 25%: 40ms in all
		{0, 10 * ms, 50 * ms, 0.5, 0},         // waited on I/O long enough already
		{20 * ms, 10 * ms, 50 * ms, 0.5, 0},   // the wait pays old debt off
		{3 * ms, 1 * ms, 1 * ms, 0.5, 4 * ms}, // small pauses accumulate
		{0, 10 * ms, 10 * ms, 1, 0},           // no cap
		{50 * ms, 10 * ms, 10 * ms, -1, 0},    // no cap
	} {
		if got := owed(tc.debt, tc.cpu, tc.elapsed, tc.share); got != tc.want {
			t.Errorf("owed(%s, %s, %s, %.2f) = %s, want %s", tc.debt, tc.cpu, tc.elapsed, tc.share, got, tc.want)
		}
	}
}
