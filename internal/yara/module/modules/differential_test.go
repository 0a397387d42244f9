package modules_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/yara"
	"github.com/medshield/medshield/internal/yara/module/modules"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// TestModuleRulesDifferential runs every corpus rule file that imports one
// of our modules, with yara and with medshield, over PE and ELF targets (the
// synthetic corpus, YARA's test blobs, Go's debug/pe and debug/elf test
// data, Windows launchers and system binaries of this machine, and
// $MEDSHIELD_PE_SAMPLES), and requires identical (rule file, rule, target)
// matches. It takes about a minute, so it only runs with
// MEDSHIELD_MODULE_DIFF=1.
func TestModuleRulesDifferential(t *testing.T) {
	if os.Getenv("MEDSHIELD_MODULE_DIFF") != "1" {
		t.Skip("set MEDSHIELD_MODULE_DIFF=1 to run the module rule differential (about a minute)")
	}
	bin := reference.Yara(t)
	yaraDir := corpus.Dir(t, "yara")
	targets := t.TempDir()
	var srcs []string
	srcs = append(srcs, reference.Synthetic(t, yaraDir, "pe")...)
	srcs = append(srcs, reference.Synthetic(t, yaraDir, "elf")...)
	srcs = append(srcs, reference.ConformanceBlobs(t, yaraDir)...)
	srcs = append(srcs, reference.ExtraSamples("MEDSHIELD_PE_SAMPLES")...)
	for _, pat := range []string{
		filepath.Join(runtime.GOROOT(), "src/debug/pe/testdata/gcc-*"),
		filepath.Join(runtime.GOROOT(), "src/debug/elf/testdata/gcc-*"),
		"/root/.pyenv/versions/*/lib/python*/site-packages/pip/_vendor/distlib/*.exe",
		"/root/go/pkg/mod/golang.org/x/sys@*/windows/testdata/*.exe",
		"/bin/ls",
	} {
		m, _ := filepath.Glob(pat)
		srcs = append(srcs, m...)
	}
	for i, s := range srcs {
		data, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(targets, fmt.Sprintf("%03d_%s", i, filepath.Base(s))), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(targets)
	var want, got []string
	for _, rf := range moduleRuleFiles(t) {
		out, err := exec.Command(bin, "-w", rf, targets).Output()
		if err != nil {
			t.Fatalf("yara %s: %v", rf, err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l != "" {
				want = append(want, rf+"\t"+l)
			}
		}
		src, _ := os.ReadFile(rf)
		comp, err := yara.NewCompiler(yara.Options{Modules: modules.List()})
		if err != nil {
			t.Fatal(err)
		}
		comp.AddSource(rf, "", src)
		rs, err := comp.Rules()
		if err != nil {
			t.Fatalf("%s: %v", rf, err)
		}
		for _, e := range ents {
			p := filepath.Join(targets, e.Name())
			data, _ := os.ReadFile(p)
			res, err := rs.Scan(context.Background(), data, nil)
			if err != nil {
				t.Errorf("%s on %s: %v", rf, p, err)
			}
			for _, m := range res {
				got = append(got, rf+"\t"+m.Rule.Name+" "+p)
			}
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
	}
	gotSet := map[string]bool{}
	for _, g := range got {
		gotSet[g] = true
		if !wantSet[g] {
			t.Errorf("medshield only: %s", g)
		}
	}
	for _, w := range want {
		if !gotSet[w] {
			t.Errorf("yara only: %s", w)
		}
	}
	t.Logf("%d targets, %d matches by yara, %d by medshield", len(ents), len(want), len(got))
}
