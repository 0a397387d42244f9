// Package corpus finds the shared public test corpora (../shared/corpora) for
// tests. Tests call Dir, which skips the test with a clear message when the
// corpora are absent, or fails it when MEDSHIELD_REQUIRE_CORPORA=1 (as in CI).
//
// Only tests import this package; the corpora are never copied into the repo.
package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the corpora root directory, or "" if it cannot be found. It
// honours MEDSHIELD_CORPORA, then walks up from the working directory looking
// for shared/corpora.
func Root() string {
	if d := os.Getenv("MEDSHIELD_CORPORA"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "corpora")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Required reports whether the corpora must be present (CI).
func Required() bool { return os.Getenv("MEDSHIELD_REQUIRE_CORPORA") == "1" }

// Dir returns the path of a sub-corpus (for example "evtx" or "sigma/rules"),
// skipping or failing the test when it is missing.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	root := Root()
	if root == "" {
		missing(tb, "corpora not found: set MEDSHIELD_CORPORA or place them at ../shared/corpora")
		return ""
	}
	p := filepath.Join(root, filepath.FromSlash(sub))
	if _, err := os.Stat(p); err != nil {
		missing(tb, "corpus "+sub+" not found under "+root)
		return ""
	}
	return p
}

func missing(tb testing.TB, msg string) {
	tb.Helper()
	if Required() {
		tb.Fatalf("%s (MEDSHIELD_REQUIRE_CORPORA=1)", msg)
	}
	tb.Skip(msg)
}
