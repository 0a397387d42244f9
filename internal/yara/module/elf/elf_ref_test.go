package elf

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// realELFs lists distinct ELF files on this machine: Go's debug/elf test
// data (32/64-bit, both byte orders, objects and executables) and a few
// system programs and libraries.
func realELFs() []string {
	var out []string
	seen := map[[32]byte]bool{}
	for _, pat := range []string{
		filepath.Join(runtime.GOROOT(), "src/debug/elf/testdata/*"),
		"/bin/ls", "/bin/bash", "/usr/bin/perl", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/aarch64-linux-gnu/libc.so.6",
	} {
		m, _ := filepath.Glob(pat)
		for _, p := range m {
			data, err := os.ReadFile(p)
			if err != nil || len(data) < 4 || string(data[:4]) != "\x7fELF" || len(data) > 64<<20 {
				continue
			}
			if h := sha256.Sum256(data); !seen[h] {
				seen[h] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func loadFile(t testing.TB, path string) module.Value {
	t.Helper()
	return reference.LoadFile(t, New(), path)
}

// TestDumpAgainstYara compares every field yara -D prints with ours.
func TestDumpAgainstYara(t *testing.T) {
	reference.Yara(t)
	files := append(generatedELFs(t), realELFs()...)
	files = append(files, reference.ExtraSamples("MEDSHIELD_ELF_SAMPLES")...)
	if dir := corpus.Dir(t, "yara"); dir != "" {
		files = append(files, reference.Synthetic(t, dir, "elf")...)
		files = append(files, reference.ConformanceBlobs(t, dir)...)
	}
	reference.CompareDumps(t, New(), files)
}
