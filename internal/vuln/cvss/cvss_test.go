package cvss

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestGolden compares with scores computed by an independent implementation
// (scripts/vuln/gen-cvss-golden.js).
func TestGolden(t *testing.T) {
	f, err := os.Open("testdata/golden.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		vec, want, _ := strings.Cut(line, "\t")
		w, err := strconv.ParseFloat(want, 64)
		if err != nil {
			t.Fatal(err)
		}
		n++
		got, _, err := Score(vec)
		if err != nil || got != w {
			bad++
			if bad < 15 {
				t.Errorf("%s: got %.1f (%v), want %.1f", vec, got, err, w)
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d golden vectors", n)
	}
	t.Logf("%d/%d vectors agree", n-bad, n)
}

func TestKnownScores(t *testing.T) {
	tests := []struct {
		vec    string
		want   float64
		rating string
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL"},
		{"CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1, "HIGH"}, // MS17-010
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "HIGH"}, // Baron Samedit
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10, "CRITICAL"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10, "CRITICAL"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9, "MEDIUM"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0, "NONE"},
	}
	for _, tt := range tests {
		got, _, err := Score(tt.vec)
		if err != nil || got != tt.want || Rating(got) != tt.rating {
			t.Errorf("%s = %.1f %s (%v), want %.1f %s", tt.vec, got, Rating(got), err, tt.want, tt.rating)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, vec := range []string{
		"", "AV:N/AC:L", "CVSS:3.1/AV:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:S/SA:H",
		"CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
	} {
		if _, _, err := Score(vec); err == nil {
			t.Errorf("%q: no error", vec)
		}
	}
}

func FuzzScore(f *testing.F) {
	f.Add("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	f.Add("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/MSI:S")
	f.Fuzz(func(t *testing.T, vec string) {
		s, _, err := Score(vec)
		if err == nil && (s < 0 || s > 10) {
			t.Fatalf("%q: score %v out of range", vec, s)
		}
	})
}

func BenchmarkScoreV4(b *testing.B) {
	for b.Loop() {
		Score("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:N/VI:L/VA:N/SC:H/SI:L/SA:H/E:P/CR:M")
	}
}
