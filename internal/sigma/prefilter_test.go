package sigma

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/evtx"
)

// TestPrefilterNeverChangesMatches runs every SigmaHQ Windows rule over
// every record of the EVTX corpus twice, with and without the prefilter:
// the matches must be identical (the prefilter may only skip rules that
// cannot match).
func TestPrefilterNeverChangesMatches(t *testing.T) {
	root := corpus.Dir(t, "sigma")
	samples := corpus.Dir(t, "evtx/samples")
	var paths []string
	for _, d := range []string{"rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows", "rules-placeholder/windows"} {
		paths = append(paths, filepath.Join(root, d))
	}
	gated, _, err := LoadPaths(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := LoadPaths(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range plain.all {
		if c.gated {
			n++
		}
		c.gated = false
	}
	if n < len(plain.all)/2 {
		t.Errorf("only %d of %d compiled rules have a prefilter condition", n, len(plain.all))
	}
	events, matches := 0, 0
	filepath.WalkDir(samples, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".evtx" {
			return err
		}
		f, err := evtx.Open(p, evtx.Options{})
		if err != nil {
			return nil
		}
		defer f.Close()
		for {
			rec, err := f.Next()
			if err != nil {
				break
			}
			ev := WindowsFields(rec.Fields())
			a, b := ids(gated.Match(ev)), ids(plain.Match(ev))
			if !slices.Equal(a, b) {
				t.Errorf("%s record %d: with prefilter %v, without %v", p, rec.ID, a, b)
			}
			events++
			matches += len(b)
		}
		return nil
	})
	t.Logf("%d events, %d matches, %d of %d compiled rules gated", events, matches, n, len(plain.all))
	if events < 10000 || matches < 1000 {
		t.Errorf("too little data to compare: %d events, %d matches", events, matches)
	}
}

func ids(ms []Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Rule.ID
	}
	return out
}

// TestPrefilterAtoms checks the necessary conditions derived from rules.
func TestPrefilterAtoms(t *testing.T) {
	cases := []struct {
		name, detection string
		gated           bool
	}{
		{"endswith list", "s: {Image|endswith: ['\\a.exe', '\\b.exe']}\ncondition: s", true},
		{"or of two fields", "s:\n    - Image|endswith: '\\a.exe'\n    - OriginalFileName: 'a.exe'\ncondition: s", true},
		{"and picks one conjunct", "s: {Image|endswith: '\\a.exe'}\nf: {User: x}\ncondition: s and not f", true},
		{"contains", "s: {CommandLine|contains: ' -enc '}\ncondition: s", true},
		{"short contains cannot gate", "s: {CommandLine|contains: '-e'}\ncondition: s", false},
		{"not alone cannot gate", "f: {User: x}\ncondition: not f", false},
		{"or with an ungateable side", "s: {A: x}\nk: {B|re: 'y'}\ncondition: s or k", false},
		{"keywords cannot gate", "k: ['mimikatz']\ncondition: k", false},
		{"windash cannot gate", "s: {CommandLine|windash|contains: ' -enc'}\ncondition: s", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, diags := compileDetection(t, tc.detection, nil)
			if err := diags.Err(); err != nil {
				t.Fatal(err)
			}
			if got := rs.all[0].gated; got != tc.gated {
				t.Errorf("gated = %v, want %v", got, tc.gated)
			}
		})
	}
}

func TestRequiredLiteral(t *testing.T) {
	cases := map[string]string{
		`powershell.*-enc`:       "powershell",
		`(abc|xyz)def`:           "def",
		`^C:\\Windows\\Temp\\.*`: `C:\Windows\Temp\`,
		`(?i)mimikatz`:           "",
		`a|b`:                    "",
		`(cmd\.exe /c)`:          "cmd.exe /c",
		`x{2,}`:                  "x",
		`[a-z]+\.(exe|dll)`:      ".",
		`\\\\\?\\GLOBALROOT\\.*`: `\\?\GLOBALROOT\`,
	}
	for in, want := range cases {
		if got := requiredLiteral(in); got != want {
			t.Errorf("requiredLiteral(%q) = %q, want %q", in, got, want)
		}
	}
}
