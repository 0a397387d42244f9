package version

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

type pair struct {
	line     int
	a, b     string
	want     int
	agrees   string
	fromNote string
}

// readTable reads a conformance table: a, b, expected sign, reference
// agreement, source, note.
func readTable(t *testing.T, name string) []pair {
	t.Helper()
	p := filepath.Join(corpus.Dir(t, "vuln/version-tests"), name)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []pair
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 4 {
			t.Fatalf("%s:%d: %d columns", name, n, len(cols))
		}
		w, err := strconv.Atoi(cols[2])
		if err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		out = append(out, pair{line: n, a: cols[0], b: cols[1], want: w, agrees: cols[3]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func runTable(t *testing.T, name string, wantRows int, cmp func(a, b string) int) {
	rows := readTable(t, name)
	if len(rows) != wantRows {
		t.Fatalf("%s: %d rows, want %d", name, len(rows), wantRows)
	}
	fail := 0
	for _, r := range rows {
		got := cmp(r.a, r.b)
		// Antisymmetry is part of the contract too.
		rev := cmp(r.b, r.a)
		if got != r.want || rev != -r.want {
			fail++
			if fail <= 20 {
				t.Errorf("%s:%d: cmp(%q, %q) = %d (reverse %d), want %d", name, r.line, r.a, r.b, got, rev, r.want)
			}
		}
	}
	t.Logf("%s: %d/%d pairs agree", name, len(rows)-fail, len(rows))
}

func TestDebConformance(t *testing.T)    { runTable(t, "deb.tsv", 14522, CompareDeb) }
func TestRPMConformance(t *testing.T)    { runTable(t, "rpm.tsv", 169, CompareRPM) }
func TestSemVerConformance(t *testing.T) { runTable(t, "semver.tsv", 88, CompareSemVer) }

func TestParseDebErrors(t *testing.T) {
	for _, s := range []string{"", "a:1.0", ":1.0", "1.0 2"} {
		if _, err := ParseDeb(s); err == nil {
			t.Errorf("ParseDeb(%q): no error", s)
		}
	}
	d, err := ParseDeb("1:2.36-9+deb12u4")
	if err != nil || d.Epoch != "1" || d.Upstream != "2.36" || d.Revision != "9+deb12u4" {
		t.Errorf("ParseDeb = %+v, %v", d, err)
	}
	if d.String() != "1:2.36-9+deb12u4" {
		t.Errorf("String = %q", d.String())
	}
}

func TestParseSemVerErrors(t *testing.T) {
	for _, s := range []string{"", "1.x.0", "1..2", "1.0.0-"} {
		if _, err := ParseSemVer(s); err == nil {
			t.Errorf("ParseSemVer(%q): no error", s)
		}
	}
}

func TestCompareAPK(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.2.3-r0", "1.2.3-r1", -1},
		{"1.2.3-r10", "1.2.3-r9", 1},
		{"1.2.3", "1.2.3-r0", 0},
		{"1.2", "1.2.1", -1},
		{"1.2.3_rc1", "1.2.3", -1},
		{"1.2.3_alpha", "1.2.3_beta", -1},
		{"1.2.3_p1", "1.2.3", 1},
		{"1.2.3a", "1.2.3", 1},
		{"1.2.3a", "1.2.3b", -1},
		{"3.0.12-r0", "3.0.8-r0", 1},
		{"1.01", "1.1", -1}, // leading zero: decimal fraction
		{"2.4.58-r1", "2.4.58-r1", 0},
	}
	for _, tt := range tests {
		if got := CompareAPK(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareAPK(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareAPK(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareAPK(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestForEcosystem(t *testing.T) {
	tests := map[string]Scheme{
		"Debian:12": SchemeDeb, "Ubuntu:22.04:LTS": SchemeDeb, "Alpine:v3.19": SchemeAPK,
		"Red Hat": SchemeRPM, "Rocky Linux:9": SchemeRPM, "AlmaLinux:8": SchemeRPM,
		"openEuler:22.03-LTS-SP1": SchemeRPM, "Go": SchemeSemVer, "npm": SchemeSemVer, "PyPI": SchemePEP440, "Maven": SchemeUnknown,
	}
	for eco, want := range tests {
		if got := ForEcosystem(eco); got != want {
			t.Errorf("ForEcosystem(%q) = %v, want %v", eco, got, want)
		}
	}
}

// TestComparePEP440 uses the ordering example of PEP 440 ("Summary of
// permitted suffixes and relative ordering"), each version lower than the
// next, plus normalisation cases.
func TestComparePEP440(t *testing.T) {
	order := []string{
		"1.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
		"1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1",
		"1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1",
	}
	for i := 0; i < len(order); i++ {
		for j := 0; j < len(order); j++ {
			want := sign(i - j)
			if got := ComparePEP440(order[i], order[j]); got != want {
				t.Errorf("ComparePEP440(%q, %q) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	equal := [][2]string{{"1.0", "1.0.0"}, {"1.0alpha1", "1.0a1"}, {"1.0-1", "1.0.post1"}, {"1.0c1", "1.0rc1"}, {"v1.0", "1.0"}, {"1.0.dev", "1.0.dev0"}, {"0!1.0", "1.0"}}
	for _, p := range equal {
		if ComparePEP440(p[0], p[1]) != 0 {
			t.Errorf("%q != %q", p[0], p[1])
		}
	}
	if ComparePEP440("1!0.1", "2.0") != 1 {
		t.Error("epoch not honoured")
	}
	if _, err := ParsePEP440("1.0-beta-x"); err == nil {
		t.Error("invalid version accepted")
	}
}
