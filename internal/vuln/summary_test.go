package vuln

import (
	"slices"
	"testing"

	"github.com/medshield/medshield/internal/vuln/winpatch"
)

func TestSummarize(t *testing.T) {
	f := func(key, sev string, score float64) Finding { return Finding{Key: key, Severity: sev, Score: score} }
	ms := func(st winpatch.Status) []winpatch.Result { return []winpatch.Result{{ID: "MS17-010", Status: st}} }
	results := []HostResult{
		{Host: "ct-ws07", Findings: []Finding{f("CVE-1", "HIGH", 7.5), f("CVE-2", "CRITICAL", 9.8)}, Patches: ms(winpatch.Vulnerable)},
		{Host: "his-db", Findings: []Finding{f("CVE-1", "HIGH", 7.5), f("CVE-1", "HIGH", 7.5)}}, // two packages, one host
		{Host: "pacs-01", Patches: ms(winpatch.Unknown)},
		{Host: "nurse-3", Patches: ms(winpatch.Patched)},
		{Host: "lab-2", Findings: []Finding{f("CVE-3", "LOW", 2.0)}, Patches: ms(winpatch.Vulnerable)},
	}
	s := Summarize(results, 2)
	if s.Hosts != 5 || s.HostsAffected != 3 {
		t.Errorf("hosts %d affected %d", s.Hosts, s.HostsAffected)
	}
	if s.BySeverity["HIGH"] != 3 || s.BySeverity["CRITICAL"] != 1 || s.BySeverity["LOW"] != 1 {
		t.Errorf("by severity %v", s.BySeverity)
	}
	want := []CVECount{{Key: "CVE-1", Severity: "HIGH", Score: 7.5, Hosts: 2}, {Key: "CVE-2", Severity: "CRITICAL", Score: 9.8, Hosts: 1}}
	if !slices.Equal(s.TopCVEs, want) {
		t.Errorf("top %+v", s.TopCVEs)
	}
	if !slices.Equal(s.MissingMS17010, []string{"ct-ws07", "lab-2"}) || !slices.Equal(s.UnknownMS17010, []string{"pacs-01"}) {
		t.Errorf("ms17-010 missing %v unknown %v", s.MissingMS17010, s.UnknownMS17010)
	}
}
