package hunt

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/sigma"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenAlertCounts hunts corpora/evtx/samples with every SigmaHQ
// Windows rule and compares the alert counts per sample file and rule with
// testdata/alert-counts.golden (regenerate with -update and review the
// diff). Any change in the engine, the mapping or the EVTX reader that
// changes what fires shows up here.
func TestGoldenAlertCounts(t *testing.T) {
	root := corpus.Dir(t, "sigma")
	samples := corpus.Dir(t, "evtx/samples")
	var paths []string
	for _, d := range windowsRuleDirs {
		if _, err := os.Stat(filepath.Join(root, d)); err == nil {
			paths = append(paths, filepath.Join(root, d))
		}
	}
	rs, _, err := sigma.LoadPaths(paths, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []string{samples}, Options{Rules: rs, NoEvent: true})
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ file, rule string }
	counts := map[key]int{}
	perFile := map[string]int{}
	for _, a := range res.Alerts {
		rel, _ := filepath.Rel(samples, a.File)
		rel = filepath.ToSlash(rel)
		counts[key{rel, a.RuleID + " " + a.Title}]++
		perFile[rel]++
	}
	var lines []string
	for k, n := range counts {
		lines = append(lines, fmt.Sprintf("%s\t%s\t%d", k.file, k.rule, n))
	}
	for f, n := range perFile {
		lines = append(lines, fmt.Sprintf("%s\t(total)\t%d", f, n))
	}
	sort.Strings(lines)
	got := fmt.Sprintf("# alerts per sample file and rule: %d rules, %d files, %d events, %d alerts\n%s\n",
		rs.Stats.Loaded+rs.Stats.Correlation, res.Stats.Files, res.Stats.Events, len(res.Alerts), strings.Join(lines, "\n"))
	golden := filepath.Join("testdata", "alert-counts.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("alert counts differ from %s (rerun with -update and review the diff):\n%s", golden, lineDiff(string(want), got))
	}
}

// lineDiff lists lines only in want (-) or only in got (+), at most 40.
func lineDiff(want, got string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
	}
	var out []string
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 40 {
		out = append(out[:40], fmt.Sprintf("... and %d more", len(out)-40))
	}
	return strings.Join(out, "\n")
}
