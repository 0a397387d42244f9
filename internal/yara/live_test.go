package yara

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/corpus"
)

// TestDifferentialLiveYara compares medshield with the installed yara on a
// whole make_corpus.sh output, including the machine-dependent system/ part
// (real ELF and PE files, so the pe and elf modules are exercised on real
// binaries). It runs yara_reference.sh, so it needs yara; it is opt-in
// (MEDSHIELD_YARA_LIVE=1, MEDSHIELD_YARA_TARGETS) because yara itself takes
// minutes on Yara-Rules.
func TestDifferentialLiveYara(t *testing.T) {
	if os.Getenv("MEDSHIELD_YARA_LIVE") != "1" {
		t.Skip("set MEDSHIELD_YARA_LIVE=1 and MEDSHIELD_YARA_TARGETS to compare with the installed yara")
	}
	targets := os.Getenv("MEDSHIELD_YARA_TARGETS")
	if _, err := exec.LookPath("yara"); err != nil || targets == "" {
		t.Skip("needs yara and MEDSHIELD_YARA_TARGETS")
	}
	root := corpus.Dir(t, "yara")
	var files []string
	filepath.WalkDir(targets, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(targets, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(files)
	sets := diffSets
	if s := os.Getenv("MEDSHIELD_YARA_BENCH_SETS"); s != "" {
		sets = strings.Split(s, ",")
	}
	for _, set := range sets {
		t.Run(set, func(t *testing.T) {
			setDir := filepath.Join(root, "rules", set)
			ref := filepath.Join(t.TempDir(), "ref.tsv")
			cmd := exec.Command("bash", filepath.Join(root, "yara_reference.sh"), setDir, targets, ref)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Logf("yara_reference.sh: %v\n%s", err, out)
			}
			want := map[string]bool{}
			b, err := os.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if l != "" {
					want[l] = true
				}
			}
			comp, _ := NewCompiler(Options{Modules: testModules()})
			for _, rf := range ruleFiles(t, setDir) {
				comp.AddFile(filepath.Join(setDir, rf), rf)
			}
			rs, _ := comp.Rules()
			got := map[string]bool{}
			for _, f := range files {
				data, err := os.ReadFile(filepath.Join(targets, f))
				if err != nil {
					t.Fatal(err)
				}
				res, err := rs.Scan(context.Background(), data, &ScanOptions{Timeout: time.Minute})
				if err != nil {
					t.Errorf("%s: %v", f, err)
				}
				for _, m := range res {
					got[m.Rule.Namespace+":"+m.Rule.Name+"\t"+f] = true
				}
			}
			agree := 0
			var diffs []string
			for l := range want {
				if got[l] {
					agree++
				} else {
					diffs = append(diffs, "missing: "+l)
				}
			}
			for l := range got {
				if !want[l] {
					diffs = append(diffs, "extra: "+l)
				}
			}
			sort.Strings(diffs)
			for _, d := range diffs {
				t.Error(d)
			}
			t.Logf("%s: %d files, %d agree, %d differences", set, len(files), agree, len(diffs))
		})
	}
}
