package version

import (
	"os/exec"
	"testing"
)

var benchPairs = [][2]string{
	{"2.36-9+deb12u4", "2.36-9+deb12u7"},
	{"1:1.2.13.dfsg-1", "1:1.2.13.dfsg-1+deb12u1"},
	{"3.0.11-1~deb12u2", "3.0.15-1~deb12u1"},
	{"7.88.1-10+deb12u5", "7.88.1-10+deb12u8"},
}

func BenchmarkCompareDeb(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		p := benchPairs[i%len(benchPairs)]
		CompareDeb(p[0], p[1])
	}
}

func BenchmarkCompareRPM(b *testing.B) {
	for b.Loop() {
		CompareRPM("0:3.10.0-229.1.2.el7", "0:3.10.0-229.4.2.el7")
	}
}

func BenchmarkCompareSemVer(b *testing.B) {
	for b.Loop() {
		CompareSemVer("1.2.3-a.b.c.10.d.5", "1.2.3-a.b.c.5.d.100")
	}
}

// BenchmarkDpkgCompareVersions is the naive baseline: one dpkg process per
// comparison, as shell-script scanners do.
func BenchmarkDpkgCompareVersions(b *testing.B) {
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		b.Skip("dpkg not installed")
	}
	for i := 0; b.Loop(); i++ {
		p := benchPairs[i%len(benchPairs)]
		// Exit status 1 means "not less than"; only a start failure matters.
		err := exec.Command(dpkg, "--compare-versions", p[0], "lt", p[1]).Run()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			b.Fatal(err)
		}
	}
}

// FuzzCompare checks that every comparator is a consistent order on any
// input: no panic, reflexive and antisymmetric.
func FuzzCompare(f *testing.F) {
	for _, p := range benchPairs {
		f.Add(p[0], p[1])
	}
	f.Add("1.0~rc1^git1", "1.0^git1~pre")
	f.Add("v1.2.3-a.5+b", "1.2.3-a.b")
	f.Add("1.2.3_rc1-r2", "1.2.3a_p1")
	f.Fuzz(func(t *testing.T, a, b string) {
		for name, cmp := range map[string]func(string, string) int{
			"deb": CompareDeb, "rpm": CompareRPM, "semver": CompareSemVer, "apk": CompareAPK, "pep440": ComparePEP440,
		} {
			if c := cmp(a, a); c != 0 {
				t.Errorf("%s: cmp(%q, itself) = %d", name, a, c)
			}
			if x, y := cmp(a, b), cmp(b, a); x != -y {
				t.Errorf("%s: cmp(%q, %q) = %d but reverse = %d", name, a, b, x, y)
			}
		}
	})
}
