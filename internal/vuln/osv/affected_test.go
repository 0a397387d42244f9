package osv

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

func ev(kind, v string) Event {
	switch kind {
	case "i":
		return Event{Introduced: v}
	case "f":
		return Event{Fixed: v}
	case "l":
		return Event{LastAffected: v}
	}
	return Event{Limit: v}
}

func TestAffects(t *testing.T) {
	type tc struct {
		ver   string
		want  bool
		fixed string
	}
	tests := []struct {
		name     string
		eco      string
		typ      string
		events   []Event
		versions []string
		cases    []tc
	}{
		{"simple fix", "Debian:12", "ECOSYSTEM", []Event{ev("i", "0"), ev("f", "1.2-3")}, nil,
			[]tc{{"1.2-2", true, "1.2-3"}, {"1.2-3", false, ""}, {"1.2-3+deb12u1", false, ""}, {"1.2~rc1-1", true, "1.2-3"}, {"1:0.1-1", false, ""}}},
		{"no fix", "Debian:12", "ECOSYSTEM", []Event{ev("i", "0")}, nil,
			[]tc{{"0.0.1", true, ""}, {"99:9", true, ""}}},
		{"two intervals, unsorted", "Go", "SEMVER", []Event{ev("i", "1.22.0-0"), ev("f", "1.22.5"), ev("i", "0"), ev("f", "1.21.12")}, nil,
			[]tc{{"1.21.11", true, "1.21.12"}, {"1.21.12", false, ""}, {"1.21.99", false, ""}, {"1.22.0-rc.1", true, "1.22.5"}, {"1.22.4", true, "1.22.5"}, {"1.22.5", false, ""}}},
		{"last_affected", "npm", "SEMVER", []Event{ev("i", "2.0.0"), ev("l", "2.3.1")}, nil,
			[]tc{{"1.9.9", false, ""}, {"2.0.0", true, ""}, {"2.3.1", true, ""}, {"2.3.2", false, ""}}},
		{"limit", "Go", "SEMVER", []Event{ev("i", "0"), ev("m", "2.0.0")}, nil,
			[]tc{{"1.5.0", true, ""}, {"2.0.0", false, ""}, {"3.0.0", false, ""}}},
		{"rpm epoch", "Red Hat:enterprise_linux:9::baseos", "ECOSYSTEM", []Event{ev("i", "0"), ev("f", "1:3.0.7-25.el9_3")}, nil,
			[]tc{{"1:3.0.7-24.el9", true, "1:3.0.7-25.el9_3"}, {"3.0.9-1.el9", true, "1:3.0.7-25.el9_3"}, {"1:3.0.7-27.el9", false, ""}}},
		{"alpine", "Alpine:v3.19", "ECOSYSTEM", []Event{ev("i", "0"), ev("f", "3.1.4-r3")}, nil,
			[]tc{{"3.1.4-r1", true, "3.1.4-r3"}, {"3.1.4-r3", false, ""}, {"3.1.10-r0", false, ""}}},
		{"versions list only", "PyPI", "", nil, []string{"4.36.1", "4.36.2"},
			[]tc{{"4.36.1", true, ""}, {"4.36.3", false, ""}}},
		{"introduced equals fixed: empty", "Debian:12", "ECOSYSTEM", []Event{ev("i", "1.0"), ev("f", "1.0")}, nil,
			[]tc{{"1.0", false, ""}, {"0.9", false, ""}}},
		{"git ignored", "Debian:12", "GIT", []Event{ev("i", "0")}, nil,
			[]tc{{"1.0", false, ""}}},
	}
	for _, tt := range tests {
		a := &Affected{Package: Package{Ecosystem: tt.eco, Name: "p"}, Versions: tt.versions}
		if tt.events != nil {
			a.Ranges = []Range{{Type: tt.typ, Repo: "r", Events: tt.events}}
		}
		for _, c := range tt.cases {
			m, got := Affects(a, c.ver)
			if got != c.want || m.Fixed != c.fixed {
				t.Errorf("%s: Affects(%q) = %v fixed %q (%s), want %v fixed %q", tt.name, c.ver, got, m.Fixed, m.Range, c.want, c.fixed)
			}
		}
	}
}

// TestDpkgEvaluations checks range evaluation on every pair of a corpus
// record and an installed bookworm source package of the same name, against
// dpkg's own verdicts (scripts/vuln/gen-inventory-golden.py).
func TestDpkgEvaluations(t *testing.T) {
	f, err := os.Open("../testdata/debian12-evaluations.golden.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t") // record idx eco source installed fixed affected
		if len(c) != 7 {
			t.Fatalf("bad line %q", sc.Text())
		}
		n++
		events := []Event{{Introduced: "0"}}
		if c[5] != "" {
			events = append(events, Event{Fixed: c[5]})
		}
		a := &Affected{Package: Package{Ecosystem: c[2], Name: c[3]}, Ranges: []Range{{Type: "ECOSYSTEM", Events: events}}}
		_, got := Affects(a, c[4])
		if got != (c[6] == "yes") {
			t.Errorf("%s[%s] %s %s fixed %q: got affected=%v, dpkg says %s", c[0], c[1], c[3], c[4], c[5], got, c[6])
		}
	}
	if n < 600 {
		t.Fatalf("only %d evaluations", n)
	}
	t.Logf("%d dpkg-verified evaluations agree", n)
	_ = strconv.Itoa
}
