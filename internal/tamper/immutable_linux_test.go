package tamper

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestImmutableFlagBlocksChanges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("setting FS_IMMUTABLE_FL needs root (CAP_LINUX_IMMUTABLE)")
	}
	// t.TempDir is often tmpfs; also try a disk-backed directory.
	var bin string
	for _, dir := range []string{t.TempDir(), "/var/tmp", "."} {
		d, err := os.MkdirTemp(dir, "tamper-immutable")
		if err != nil {
			continue
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		p := filepath.Join(d, "medshield")
		os.WriteFile(p, []byte("binary"), 0o755)
		if err := SetImmutable(p, true); err == nil {
			bin = p
			break
		} else if !errors.Is(err, ErrUnsupported) && !errors.Is(err, os.ErrPermission) {
			t.Fatalf("SetImmutable on %s: %v", dir, err)
		}
	}
	if bin == "" {
		t.Skip("no file system here supports the immutable flag")
	}
	t.Logf("immutable flag supported on %s", filepath.Dir(filepath.Dir(bin)))
	t.Cleanup(func() { SetImmutable(bin, false) })
	if on, err := IsImmutable(bin); err != nil || !on {
		t.Fatalf("IsImmutable = %v, %v", on, err)
	}
	if err := os.WriteFile(bin, []byte("replaced"), 0o755); err == nil {
		t.Fatal("write to an immutable file succeeded")
	}
	if err := os.Remove(bin); err == nil {
		t.Fatal("remove of an immutable file succeeded")
	}
	if err := os.Rename(bin, bin+".old"); err == nil {
		t.Fatal("rename of an immutable file succeeded")
	}
	if err := SetImmutable(bin, false); err != nil {
		t.Fatal(err)
	}
	if on, _ := IsImmutable(bin); on {
		t.Fatal("flag still set after clearing")
	}
	if err := os.Remove(bin); err != nil {
		t.Fatalf("remove after clearing: %v", err)
	}
}

func TestImmutableMissingFile(t *testing.T) {
	if err := SetImmutable(filepath.Join(t.TempDir(), "nope"), true); err == nil {
		t.Fatal("no error for a missing file")
	}
}
