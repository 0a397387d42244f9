package yara

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func walkAll(t *testing.T, roots []string, o WalkOptions) []string {
	t.Helper()
	out := make(chan string, 100)
	var errs []error
	go func() {
		Walk(context.Background(), roots, o, out, func(p string, err error) { errs = append(errs, err) })
		close(out)
	}()
	var got []string
	for p := range out {
		got = append(got, p)
	}
	sort.Strings(got)
	return got
}

func TestWalkSymlinkPolicyAndLoops(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(other, "outside"), []byte("o"), 0o644)
	os.Symlink(other, filepath.Join(dir, "linkdir"))
	os.Symlink(dir, filepath.Join(dir, "loop")) // a loop back to the root
	os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "linkfile"))

	got := walkAll(t, []string{dir}, WalkOptions{Recursive: true})
	if len(got) != 1 || got[0] != filepath.Join(dir, "a") {
		t.Errorf("without --follow-symlinks: %v, want only a", got)
	}
	got = walkAll(t, []string{dir}, WalkOptions{Recursive: true, FollowSymlinks: true})
	want := []string{filepath.Join(dir, "a"), filepath.Join(dir, "linkdir", "outside"), filepath.Join(dir, "linkfile")}
	if len(got) != len(want) {
		t.Fatalf("with --follow-symlinks: %v, want %v (the loop visited once)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
	// A symlink named on the command line is followed.
	got = walkAll(t, []string{filepath.Join(dir, "linkfile")}, WalkOptions{})
	if len(got) != 1 {
		t.Errorf("named symlink: %v", got)
	}
	// Not recursive: files directly in the named directory only.
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "deep"), []byte("d"), 0o644)
	got = walkAll(t, []string{dir}, WalkOptions{})
	if len(got) != 1 {
		t.Errorf("non-recursive: %v, want only a", got)
	}
}
