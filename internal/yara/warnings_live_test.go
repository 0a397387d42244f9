package yara

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

var yaracWarning = regexp.MustCompile(`(?m)^warning: rule "([^"]*)" in .*?\(\d+\): (.*)$`)

// TestWarningsLiveYarac compares medshield's compile warnings with those of
// the installed yarac on every public rule file (opt-in, slow:
// MEDSHIELD_YARA_LIVE=1; MEDSHIELD_YARA_QUICK=1 checks a quarter;
// MEDSHIELD_YARA_WARN_RULES=DIR uses the rule files under DIR instead).
func TestWarningsLiveYarac(t *testing.T) {
	if os.Getenv("MEDSHIELD_YARA_LIVE") != "1" {
		t.Skip("set MEDSHIELD_YARA_LIVE=1 to compare warnings with the installed yarac")
	}
	yarac, err := exec.LookPath("yarac")
	if err != nil {
		t.Skip("yarac not installed")
	}
	root := os.Getenv("MEDSHIELD_YARA_WARN_RULES") // for example generated stress rules
	if root == "" {
		root = corpus.Dir(t, "yara/rules")
	}
	var files []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yar") || strings.HasSuffix(p, ".yara")) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	out := filepath.Join(t.TempDir(), "out.yarc")
	same, differ, total := 0, 0, 0
	for i, f := range files {
		if os.Getenv("MEDSHIELD_YARA_QUICK") == "1" && i%4 != 0 {
			continue
		}
		res, _ := exec.Command(yarac, f, out).CombinedOutput()
		var want []string
		for _, m := range yaracWarning.FindAllStringSubmatch(string(res), -1) {
			want = append(want, m[1]+": "+m[2])
		}
		comp, err := NewCompiler(Options{Modules: testModules()})
		if err != nil {
			t.Fatal(err)
		}
		comp.AddFile(f, "")
		var got []string
		for _, w := range comp.Warnings() {
			if w.Code == "no-atom" {
				continue
			}
			rule, msg, _ := strings.Cut(w.Msg, ": ")
			got = append(got, strings.Trim(rule[len("rule "):], `"`)+": "+msg)
		}
		sort.Strings(want)
		sort.Strings(got)
		total += len(want)
		if strings.Join(want, "\n") == strings.Join(got, "\n") {
			same++
			continue
		}
		differ++
		rel, _ := filepath.Rel(root, f)
		t.Errorf("%s:\n  yarac:     %q\n  medshield: %q", rel, want, got)
	}
	t.Logf("warnings: %d rule files agree, %d differ; yarac warnings: %d", same, differ, total)
}
