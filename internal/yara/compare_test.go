package yara

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

// run measures one command with GNU time: wall and CPU seconds and the
// peak resident set size in MB.
type measured struct{ wall, cpu, rssMB float64 }

var (
	reWall = regexp.MustCompile(`Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)`)
	reUser = regexp.MustCompile(`User time \(seconds\): ([\d.]+)`)
	reSys  = regexp.MustCompile(`System time \(seconds\): ([\d.]+)`)
	reRSS  = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)
)

func timeCmd(t *testing.T, dir string, args ...string) measured {
	t.Helper()
	cmd := exec.Command("/usr/bin/time", append([]string{"-v"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("%v: %v", args, err)
		}
	}
	s := string(out)
	f := func(re *regexp.Regexp) []float64 {
		m := re.FindStringSubmatch(s)
		var v []float64
		for _, x := range m[1:] {
			n, _ := strconv.ParseFloat(x, 64)
			v = append(v, n)
		}
		return v
	}
	if !reWall.MatchString(s) {
		t.Fatalf("no GNU time output for %v:\n%s", args, s)
	}
	w := f(reWall)
	return measured{wall: w[0]*3600 + w[1]*60 + w[2], cpu: f(reUser)[0] + f(reSys)[0], rssMB: f(reRSS)[0] / 1024}
}

// TestCompareSpeedWithYara measures the medshield binary against the
// reference yara on the same rules and targets, side by side in one run,
// with 1 and 2 threads, using GNU time (wall time, CPU time, peak RSS).
// It only runs with MEDSHIELD_YARA_BENCH=1 and MEDSHIELD_YARA_TARGETS set to
// a make_corpus.sh output; it prints a Markdown table for
// docs/performance/yara.md. Timings are reported, never asserted.
func TestCompareSpeedWithYara(t *testing.T) {
	if os.Getenv("MEDSHIELD_YARA_BENCH") != "1" {
		t.Skip("set MEDSHIELD_YARA_BENCH=1 (and MEDSHIELD_YARA_TARGETS) to compare with yara")
	}
	targets := os.Getenv("MEDSHIELD_YARA_TARGETS")
	if targets == "" {
		t.Skip("set MEDSHIELD_YARA_TARGETS to a make_corpus.sh output directory")
	}
	for _, bin := range []string{"yara", "yarac", "/usr/bin/time"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (apt-get install yara time)", bin)
		}
	}
	root := corpus.Dir(t, "yara")
	tmp := t.TempDir()
	ms := filepath.Join(tmp, "medshield")
	if out, err := exec.Command("go", "build", "-o", ms, "github.com/medshield/medshield/cmd/medshield").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var files int
	var bytes int64
	filepath.WalkDir(targets, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files++
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
	mb := float64(bytes) / 1e6
	t.Logf("targets: %d files, %.1f MB", files, mb)
	t.Log("| rule set | threads | yara wall / CPU | medshield wall / CPU (scan only) | MB/s by CPU time, yara / medshield | files/s by CPU time, yara / medshield | ratio (yara CPU / medshield CPU) | peak RSS yara / medshield |")
	t.Log("|---|---|---|---|---|---|---|---|")
	var compileRows []string
	for _, set := range sets {
		setDir := filepath.Join(root, "rules", set)
		rfs := ruleFiles(t, setDir)
		yarc := filepath.Join(tmp, set+".yarc")
		args := []string{"yarac", "-w"}
		for _, rf := range rfs {
			args = append(args, rf+":"+rf)
		}
		yc := timeCmd(t, setDir, append(args, yarc)...)
		myr := filepath.Join(tmp, set+".myr")
		mc := timeCmd(t, setDir, ms, "rules", "compile", "--yara", setDir, "--out", myr)
		compileRows = append(compileRows, fmt.Sprintf("| %s | %d | %.2fs CPU, %.0f MB | %.2fs CPU, %.0f MB |", set, len(rfs), yc.cpu, yc.rssMB, mc.cpu, mc.rssMB))
		for _, threads := range []int{1, 2} {
			y := timeCmd(t, tmp, "yara", "-C", "-r", "-w", "-p", fmt.Sprint(threads), yarc, targets)
			m := timeCmd(t, tmp, ms, "scan", "--no-progress", "--threads", fmt.Sprint(threads), "--rules", myr, targets)
			// The medshield run loads (recompiles) the rules: subtract the
			// compile run's CPU to compare scanning with scanning.
			mScan := max(m.cpu-mc.cpu, 0.01)
			t.Logf("| %s | %d | %.2fs / %.2fs | %.2fs / %.2fs (%.2fs) | %.1f / %.1f | %.0f / %.0f | %.2fx | %.0f MB / %.0f MB |",
				set, threads, y.wall, y.cpu, m.wall, m.cpu, mScan, mb/y.cpu, mb/mScan,
				float64(files)/y.cpu, float64(files)/mScan, y.cpu/mScan, y.rssMB, m.rssMB)
		}
	}
	t.Log("")
	t.Log("| rule set | rule files | yarac | medshield rules compile |")
	t.Log("|---|---|---|---|")
	for _, r := range compileRows {
		t.Log(r)
	}
}
