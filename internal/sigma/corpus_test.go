package sigma

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/corpus"
)

// sigmaRuleDirs are the rule folders of the SigmaHQ corpus.
var sigmaRuleDirs = []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-compliance",
	"rules-placeholder", "rules-dfir", "deprecated", "unsupported"}

// TestS0EveryCorpusRuleLoadsOrIsRejectedWithReason loads every rule
// document of the SigmaHQ corpus: each one compiles or has an error
// diagnostic with a position and a message, and nothing panics.
func TestS0EveryCorpusRuleLoadsOrIsRejectedWithReason(t *testing.T) {
	root := corpus.Dir(t, "sigma")
	var paths []string
	for _, d := range sigmaRuleDirs {
		if _, err := os.Stat(filepath.Join(root, d)); err == nil {
			paths = append(paths, filepath.Join(root, d))
		}
	}
	start := time.Now()
	rs, diags, err := LoadPaths(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	errs := diags.Errors()
	for _, d := range errs {
		if d.Message == "" || d.Pos.File == "" || d.Code == "" {
			t.Errorf("diagnostic without position, code or reason: %+v", d)
		}
	}
	st := rs.Stats
	if st.Loaded+st.Correlation+st.Rejected+st.Filters != st.Documents {
		t.Errorf("counts do not add up: %+v", st)
	}
	if st.Rejected > len(errs) {
		t.Errorf("%d rejected documents but only %d error diagnostics", st.Rejected, len(errs))
	}
	byCode := map[string]int{}
	for _, d := range errs {
		byCode[d.Code]++
	}
	t.Logf("S0: %d files, %d documents: %d detection rules loaded (%d unrouted), %d correlations, %d rejected; by code %v; %v",
		st.Files, st.Documents, st.Loaded, st.Unrouted, st.Correlation, st.Rejected, byCode, elapsed.Round(time.Millisecond))
	if testing.Verbose() {
		for _, d := range errs {
			t.Log(d.String())
		}
	}
	// Active windows rules must nearly all load; the few that cannot are
	// logsources without an event log channel and PCRE-only regexes.
	if st.Loaded < 3500 {
		t.Errorf("only %d rules loaded", st.Loaded)
	}

	// The specification's own example rules (correlations, filters) and the
	// correlation examples: some refer to rules that exist only in the
	// specification's prose, and must be rejected with that reason.
	extra := []string{filepath.Join(root, "spec/v2.1.0/tests"), filepath.Join(root, "correlation-examples")}
	rs2, diags2, err := LoadPaths(extra, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st2 := rs2.Stats
	if st2.Loaded+st2.Correlation+st2.Rejected+st2.Filters != st2.Documents || st2.Rejected > len(diags2.Errors()) {
		t.Errorf("spec examples: counts do not add up: %+v, %d errors", st2, len(diags2.Errors()))
	}
	for _, d := range diags2.Errors() {
		if d.Message == "" || d.Pos.Line == 0 {
			t.Errorf("diagnostic without position or reason: %s", d)
		}
	}
	if st2.Correlation < 3 {
		t.Errorf("only %d correlation rules of the examples compile", st2.Correlation)
	}
	t.Logf("S0 (spec examples and correlation examples): %d files, %d documents: %d detection, %d correlations, %d filters, %d rejected",
		st2.Files, st2.Documents, st2.Loaded, st2.Correlation, st2.Filters, st2.Rejected)
	if testing.Verbose() {
		for _, d := range diags2 {
			t.Log(d.String())
		}
	}
}

type manifestRow struct {
	ruleFile, ruleID, sample, sampleJSON string
	expected                             int
}

func readManifest(t *testing.T, root string) []manifestRow {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []manifestRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 8 {
			continue
		}
		want := 1
		if c[7] != "" {
			want, err = strconv.Atoi(c[7])
			if err != nil {
				t.Fatalf("manifest expected_match_count %q: %v", c[7], err)
			}
		}
		rows = append(rows, manifestRow{ruleFile: c[0], ruleID: c[1], sample: c[5], sampleJSON: c[6], expected: want})
	}
	return rows
}

// TestS2RegressionSamplesJSON runs each SigmaHQ regression rule over its
// JSON sample: the rule must match at least expected_match_count events.
func TestS2RegressionSamplesJSON(t *testing.T) {
	root := corpus.Dir(t, "sigma")
	rows := readManifest(t, root)
	pass := 0
	var failures []string
	for _, row := range rows {
		rs, diags, err := LoadPaths([]string{filepath.Join(root, row.ruleFile)}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if errs := diags.Errors(); len(errs) > 0 {
			failures = append(failures, row.ruleFile+": rejected: "+errs[0].String())
			continue
		}
		f, err := os.Open(filepath.Join(root, row.sampleJSON))
		if err != nil {
			t.Fatal(err)
		}
		got, events := 0, 0
		err = DecodeJSON(f, func(ev Event) error {
			events++
			for _, m := range rs.Match(ev) {
				if m.Rule.ID == row.ruleID {
					got++
				}
			}
			return nil
		})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", row.sampleJSON, err)
		}
		if got < row.expected {
			failures = append(failures, row.ruleFile+": matched "+strconv.Itoa(got)+" of "+strconv.Itoa(events)+" events, want >= "+strconv.Itoa(row.expected))
			continue
		}
		pass++
	}
	sort.Strings(failures)
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("S2 (JSON samples): %d/%d regression tests pass", pass, len(rows))
}

// BenchmarkLoadCorpus measures loading (parsing and compiling) every rule
// of the SigmaHQ corpus.
func BenchmarkLoadCorpus(b *testing.B) {
	root := corpus.Dir(b, "sigma")
	var paths []string
	for _, d := range sigmaRuleDirs {
		if _, err := os.Stat(filepath.Join(root, d)); err == nil {
			paths = append(paths, filepath.Join(root, d))
		}
	}
	for i := 0; i < b.N; i++ {
		rs, _, err := LoadPaths(paths, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rs.Stats.Documents), "documents")
	}
}
