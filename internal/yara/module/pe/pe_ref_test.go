package pe

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// realPEs lists PE files found on this machine: Go's debug/pe test data
// (always there with a Go toolchain) and Windows launchers shipped by
// installed Python packages and Go modules, when present.
func realPEs(t testing.TB) []string {
	var out []string
	goroot := runtime.GOROOT()
	for _, pat := range []string{
		filepath.Join(goroot, "src/debug/pe/testdata/*"),
		filepath.Join(goroot, "src/internal/saferio/*.exe"),
		"/root/go/pkg/mod/golang.org/x/sys@*/windows/testdata/*.exe",
		"/root/.pyenv/versions/*/lib/python*/site-packages/pip/_vendor/distlib/*.exe",
		"/root/.pyenv/versions/*/lib/python*/site-packages/setuptools/*.exe",
		"/usr/lib/python3/dist-packages/setuptools/*.exe",
		"/usr/lib/python3/dist-packages/pip/_vendor/distlib/*.exe",
	} {
		m, _ := filepath.Glob(pat)
		for _, p := range m {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && !strings.HasSuffix(p, ".c") {
				out = append(out, p)
			}
		}
	}
	return out
}

func loadFile(t testing.TB, path string) module.Value {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New().Load(&module.ScanContext{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDumpAgainstYara compares every field yara -D prints with ours.
func TestDumpAgainstYara(t *testing.T) {
	reference.Yara(t)
	files := realPEs(t)
	if len(files) == 0 {
		t.Skip("no PE files found on this machine")
	}
	for _, path := range files {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			want := reference.Dump(t, "pe", path)
			got := reference.Flatten(loadFile(t, path))
			if d := reference.Diff(want, got, nil); len(d) > 0 {
				if len(d) > 40 {
					d = append(d[:40], "...")
				}
				t.Errorf("%d differences with yara -D:\n%s", len(d), strings.Join(d, "\n"))
			}
		})
	}
}
