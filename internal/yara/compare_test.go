package yara

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/corpus"
)

// TestCompareSpeedWithYara measures medshield against the reference yara
// on the same rules and targets, side by side in one run, with 1 and 2
// threads. It only runs with MEDSHIELD_YARA_BENCH=1 (it takes minutes) and
// MEDSHIELD_YARA_TARGETS set to a make_corpus.sh output; it prints a
// Markdown table for docs/performance/yara.md. Timings are reported, never
// asserted.
func TestCompareSpeedWithYara(t *testing.T) {
	if os.Getenv("MEDSHIELD_YARA_BENCH") != "1" {
		t.Skip("set MEDSHIELD_YARA_BENCH=1 (and MEDSHIELD_YARA_TARGETS) to compare with yara")
	}
	targets := os.Getenv("MEDSHIELD_YARA_TARGETS")
	if targets == "" {
		t.Skip("set MEDSHIELD_YARA_TARGETS to a make_corpus.sh output directory")
	}
	yaraBin, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara not installed")
	}
	root := corpus.Dir(t, "yara")
	var files []string
	var bytes int64
	filepath.WalkDir(targets, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
			if info, err := d.Info(); err == nil {
				bytes += info.Size()
			}
		}
		return nil
	})
	sets := diffSets
	if s := os.Getenv("MEDSHIELD_YARA_BENCH_SETS"); s != "" {
		sets = strings.Split(s, ",")
	}
	var rows []string
	for _, set := range sets {
		setDir := filepath.Join(root, "rules", set)
		rfs := ruleFiles(t, setDir)
		// yara: compile with yarac (namespace:file), then scan.
		tmp := t.TempDir()
		compiled := filepath.Join(tmp, "rules.yarc")
		args := []string{"-w"}
		for _, rf := range rfs {
			args = append(args, rf+":"+rf)
		}
		args = append(args, compiled)
		yc := exec.Command("yarac", args...)
		yc.Dir = setDir
		start := time.Now()
		if out, err := yc.CombinedOutput(); err != nil {
			t.Fatalf("yarac: %v\n%s", err, out)
		}
		yCompile := time.Since(start)
		// medshield: compile in-process.
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start = time.Now()
		comp, _ := NewCompiler(Options{Modules: testModules()})
		for _, rf := range rfs {
			comp.AddFile(filepath.Join(setDir, rf), rf)
		}
		rs, _ := comp.Rules()
		mCompile := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		rulesMB := (float64(m1.HeapAlloc) - float64(m0.HeapAlloc)) / 1e6
		for _, threads := range []int{1, 2} {
			cmd := exec.Command(yaraBin, "-C", "-r", "-w", "-p", fmt.Sprint(threads), compiled, targets)
			cmd.Stdout, cmd.Stderr = nil, nil
			start = time.Now()
			cmd.Run()
			yScan := time.Since(start)
			yRSS := int64(0)
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				yRSS = ru.Maxrss
			}
			start = time.Now()
			paths := make(chan string, 64)
			go func() {
				for _, f := range files {
					paths <- f
				}
				close(paths)
			}()
			pool := &Pool{Rules: rs, Threads: threads, Options: ScanOptions{Timeout: time.Minute}}
			nerr := 0
			pool.Run(context.Background(), paths, func(r FileResult) {
				if r.Err != nil {
					nerr++
				}
			})
			mScan := time.Since(start)
			mb := float64(bytes) / 1e6
			rows = append(rows, fmt.Sprintf("| %s | %d | yara %.2fs / medshield %.2fs | yara %.1f / medshield %.1f files/s | yara %.2f / medshield %.2f MB/s | %.2fx | %.2fs / %.2fs | yara %d MB / medshield rules %.0f MB heap | %d |",
				set, threads, yScan.Seconds(), mScan.Seconds(),
				float64(len(files))/yScan.Seconds(), float64(len(files))/mScan.Seconds(),
				mb/yScan.Seconds(), mb/mScan.Seconds(), yScan.Seconds()/mScan.Seconds(),
				yCompile.Seconds(), mCompile.Seconds(), yRSS/1024, rulesMB, nerr))
		}
	}
	t.Logf("targets: %d files, %.1f MB", len(files), float64(bytes)/1e6)
	t.Log("| rule set | threads | scan time | files/s | MB/s | speed ratio (yara time / medshield time) | compile yarac / medshield | memory | medshield errors |")
	for _, r := range rows {
		t.Log(r)
	}
}
