package inventory

import (
	"bytes"
	"os"
	"testing"
)

func seed(f *testing.F, files ...string) {
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func FuzzParseDpkgStatus(f *testing.F) {
	f.Add([]byte("Package: a\nStatus: install ok installed\nVersion: 1\nSource: b (2)\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, _, _ := ParseDpkgStatus(bytes.NewReader(b))
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("empty name or version: %+v", p)
			}
		}
	})
}

func FuzzParseRegFile(f *testing.F) {
	seed(f, "testdata/win7-sp1-unpatched.reg", "testdata/win10-22h2-patched.reg")
	f.Fuzz(func(t *testing.T, b []byte) {
		rf, err := ParseRegFile(bytes.NewReader(b))
		if err != nil {
			return
		}
		WindowsOS(rf)
		WindowsPrograms(rf)
		WindowsHotfixes(rf)
	})
}

func FuzzParseRPMHeader(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 3, 0xe8, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b', 'c', 0})
	f.Fuzz(func(t *testing.T, b []byte) { ParseRPMHeader(b) })
}

func FuzzParseOSRelease(f *testing.F) {
	seed(f, "testdata/os-release-alpine")
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseOSRelease(bytes.NewReader(b))
		if err == nil {
			o.Ecosystem()
		}
	})
}

func FuzzParseAPKInstalled(f *testing.F) {
	seed(f, "testdata/apk-installed")
	f.Fuzz(func(t *testing.T, b []byte) { ParseAPKInstalled(bytes.NewReader(b)) })
}

func FuzzBDBHash(f *testing.F) {
	seed(f, "testdata/Packages.p512")
	f.Fuzz(func(t *testing.T, b []byte) { bdbHashValues(bytes.NewReader(b)) })
}
