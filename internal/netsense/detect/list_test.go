package detect

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestRulesAreUniqueAndDocumented checks every detector's rules: unique ids
// and signature ids, sane severities and ATT&CK ids, and a row for each in
// docs/sensor.md so that the documentation cannot fall behind the code.
func TestRulesAreUniqueAndDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/sensor.md")
	if err != nil {
		t.Fatal(err)
	}
	ids, sids, names := map[string]bool{}, map[int]bool{}, map[string]bool{}
	technique := regexp.MustCompile(`^(T\d{4}(\.\d{3})?)?$`)
	n := 0
	for _, d := range All() {
		if names[d.Name()] || d.Name() == "" || d.Version() == "" || d.Wants() == 0 {
			t.Errorf("detector %q: duplicate or incomplete", d.Name())
		}
		names[d.Name()] = true
		if len(d.Rules()) == 0 {
			t.Errorf("detector %s declares no rules", d.Name())
		}
		for _, r := range d.Rules() {
			n++
			if ids[r.ID] || sids[r.SID] {
				t.Errorf("rule %s / %d is not unique", r.ID, r.SID)
			}
			ids[r.ID], sids[r.SID] = true, true
			if r.SID < 9100000 || r.SID > 9199999 || r.Severity < 10 || r.Severity > 100 || !technique.MatchString(r.Technique) || r.Name == "" || r.Category == "" {
				t.Errorf("rule %+v", *r)
			}
			if !strings.Contains(string(doc), "`"+r.ID+"`") && !strings.Contains(string(doc), "`"+r.ID+"`,") {
				t.Errorf("rule %s is not documented in docs/sensor.md", r.ID)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d rules", n)
	}
}
