package quarantine

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testChunk = 1024

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := OpenWith(filepath.Join(t.TempDir(), "q"), Options{chunk: testChunk, MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, data []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile honours umask
		t.Fatal(err)
	}
}

func TestQuarantineRestoreRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		size int
		mode fs.FileMode
	}{
		{"empty", 0, 0o644},
		{"one byte", 1, 0o600},
		{"exactly one chunk", testChunk, 0o644},
		{"two chunks", 2 * testChunk, 0o640},
		{"chunks and a tail", 5*testChunk + 17, 0o755},
		{"setuid executable", 300, 0o755 | fs.ModeSetuid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			dir := t.TempDir()
			path := filepath.Join(dir, "sample.bin")
			data := randBytes(t, tc.size)
			writeFile(t, path, data, tc.mode)
			rec, err := s.Quarantine(path, Reason{Rule: "test:rule", Source: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("original still present after quarantine: %v", err)
			}
			want := sha256.Sum256(data)
			if rec.SHA256 != hex.EncodeToString(want[:]) || rec.Size != int64(tc.size) || rec.OriginalPath != path {
				t.Errorf("record = %+v, want sha256 %x size %d path %s", rec, want, tc.size, path)
			}
			if fs.FileMode(rec.Mode) != tc.mode {
				t.Errorf("record mode = %v, want %v", fs.FileMode(rec.Mode), tc.mode)
			}
			if rec.UID == nil || *rec.UID != os.Getuid() {
				t.Errorf("record uid = %v, want %d", rec.UID, os.Getuid())
			}
			blob, err := os.ReadFile(s.blobPath(rec.ID))
			if err != nil {
				t.Fatal(err)
			}
			if tc.size >= 16 && bytes.Contains(blob, data[:16]) {
				t.Error("blob contains plaintext")
			}
			if err := s.Verify(rec.ID); err != nil {
				t.Errorf("Verify: %v", err)
			}
			list, err := s.List()
			if err != nil || len(list) != 1 || list[0].ID != rec.ID {
				t.Fatalf("List = %v, %v; want the one record", list, err)
			}
			if err := s.Restore(rec.ID, ""); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("restored content differs (err %v)", err)
			}
			st, _ := os.Lstat(path)
			if st.Mode() != tc.mode {
				t.Errorf("restored mode = %v, want %v", st.Mode(), tc.mode)
			}
			if list, _ := s.List(); len(list) != 0 {
				t.Errorf("store still lists %d records after restore", len(list))
			}
			left, _ := os.ReadDir(filepath.Join(s.Dir(), itemsDir))
			if len(left) != 0 {
				t.Errorf("items left after restore: %v", left)
			}
			if tmps, _ := filepath.Glob(filepath.Join(dir, ".medshield-restore-*")); len(tmps) != 0 {
				t.Errorf("temporary files left: %v", tmps)
			}
		})
	}
}

func TestStorePermissions(t *testing.T) {
	s := openTest(t)
	path := filepath.Join(t.TempDir(), "tool")
	writeFile(t, path, []byte("#!/bin/sh\necho hi\n"), 0o755)
	rec, err := s.Quarantine(path, Reason{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want fs.FileMode
	}{
		{s.Dir(), fs.ModeDir | 0o700},
		{filepath.Join(s.Dir(), itemsDir), fs.ModeDir | 0o700},
		{filepath.Join(s.Dir(), keyName), 0o600},
		{s.blobPath(rec.ID), 0o600},
		{s.recordPath(rec.ID), 0o600},
	} {
		st, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != c.want {
			t.Errorf("%s: mode %v, want %v", c.path, st.Mode(), c.want)
		}
	}
	// A loosened key is tightened again on Open.
	os.Chmod(filepath.Join(s.Dir(), keyName), 0o644)
	if _, err := Open(s.Dir()); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(s.Dir(), keyName)); st.Mode() != 0o600 {
		t.Errorf("key mode after reopen = %v, want 0600", st.Mode())
	}
}

func TestReopenKeepsKey(t *testing.T) {
	s := openTest(t)
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, []byte("keep me"), 0o644)
	rec, err := s.Quarantine(path, Reason{})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Restore(rec.ID, ""); err != nil {
		t.Fatalf("restore through a reopened store: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Errorf("restored %q", b)
	}
}

func TestRestoreTargets(t *testing.T) {
	s := openTest(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "report.docx")
	quarantine := func() Record {
		writeFile(t, path, []byte("original"), 0o644)
		rec, err := s.Quarantine(path, Reason{})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}

	// Something else now lives at the original path: refuse, keep both.
	rec := quarantine()
	writeFile(t, path, []byte("newer"), 0o644)
	if err := s.Restore(rec.ID, ""); !errors.Is(err, ErrExists) {
		t.Fatalf("restore over an existing file: err = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "newer" {
		t.Errorf("existing file changed to %q", b)
	}
	if _, err := s.Get(rec.ID); err != nil {
		t.Errorf("record gone after refused restore: %v", err)
	}
	// Asked to overwrite: it does.
	if _, err := s.RestoreWith(rec.ID, RestoreOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "original" {
		t.Errorf("after overwrite: %q", b)
	}

	// Restore into another directory keeps the name.
	rec = quarantine()
	other := t.TempDir()
	got, err := s.RestoreWith(rec.ID, RestoreOptions{To: other})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(other, "report.docx"); got != want {
		t.Errorf("restored to %s, want %s", got, want)
	}
	// And to an explicit new path, creating its parent.
	rec = quarantine()
	np := filepath.Join(other, "sub", "renamed.docx")
	if err := s.Restore(rec.ID, np); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(np); string(b) != "original" {
		t.Errorf("restored to new path: %q", b)
	}
	// Never into the store itself.
	rec = quarantine()
	if err := s.Restore(rec.ID, filepath.Join(s.Dir(), "x")); err == nil {
		t.Error("restore into the store was accepted")
	}
}

func TestQuarantineRefuses(t *testing.T) {
	s := openTest(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	writeFile(t, big, make([]byte, (1<<20)+1), 0o644)
	target := filepath.Join(dir, "target")
	writeFile(t, target, []byte("x"), 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, want string
		is               error
	}{
		{"over size limit", big, "", ErrTooLarge},
		{"directory", dir, "not a regular file", nil},
		{"symlink", link, "not a regular file", nil},
		{"fifo", fifo, "not a regular file", nil},
		{"missing", filepath.Join(dir, "nope"), "", fs.ErrNotExist},
		{"the store's key", filepath.Join(s.Dir(), keyName), "inside the quarantine store", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Quarantine(c.path, Reason{})
			if err == nil {
				t.Fatal("accepted")
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err = %v, want %v", err, c.is)
			}
			if c.want != "" && !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
	if _, err := os.Stat(big); err != nil {
		t.Errorf("refused file was removed: %v", err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("symlink target was removed: %v", err)
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Errorf("refusals left %d records", len(list))
	}
	if left, _ := os.ReadDir(filepath.Join(s.Dir(), itemsDir)); len(left) != 0 {
		t.Errorf("refusals left files: %v", left)
	}
}

func TestDelete(t *testing.T) {
	s := openTest(t)
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, []byte("bye"), 0o644)
	rec, err := s.Quarantine(path, Reason{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.blobPath(rec.ID)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("blob still there: %v", err)
	}
	if err := s.Delete(rec.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("delete brought the file back")
	}
	hist, _ := os.ReadFile(filepath.Join(s.Dir(), historyName))
	if n := strings.Count(string(hist), "\n"); n != 2 || !strings.Contains(string(hist), `"action":"delete"`) {
		t.Errorf("history = %q, want a quarantine and a delete line", hist)
	}
}

func TestBadIDs(t *testing.T) {
	s := openTest(t)
	for _, id := range []string{"", "../key", "..", "ABC", "0190-../../etc/passwd", strings.Repeat("a", 65)} {
		if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", id, err)
		}
		if err := s.Restore(id, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("Restore(%q) = %v, want ErrNotFound", id, err)
		}
		if err := s.Delete(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delete(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

// TestOpenRecoversFromCrash builds the states an interrupted quarantine or
// delete can leave and checks that reopening keeps every file somewhere.
func TestOpenRecoversFromCrash(t *testing.T) {
	s := openTest(t)
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	writeFile(t, a, []byte("aaa"), 0o644)
	ra, err := s.Quarantine(a, Reason{})
	if err != nil {
		t.Fatal(err)
	}
	items := filepath.Join(s.Dir(), itemsDir)
	// Crash after the blob but before the record: the original is still in
	// place (quarantine removes it last), so the orphan blob is dropped.
	orphan := filepath.Join(items, "0190aaaa-0000-7000-8000-000000000000"+blobExt)
	writeFile(t, orphan, []byte("partial"), 0o600)
	tmp := filepath.Join(items, ".x.blob.tmp")
	writeFile(t, tmp, []byte("partial"), 0o600)
	// A fresh record-less blob may be another process's quarantine in
	// progress: it is kept.
	fresh := filepath.Join(items, "0190cccc-0000-7000-8000-000000000000"+blobExt)
	writeFile(t, fresh, []byte("in progress"), 0o600)
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{orphan, tmp} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	// Crash after the record but before the original was removed: both exist,
	// which is safe; the record stays usable.
	b := filepath.Join(dir, "b")
	writeFile(t, b, []byte("bbb"), 0o644)
	rb, err := s.Quarantine(b, Reason{})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, b, []byte("bbb"), 0o644)

	s2, err := OpenWith(s.Dir(), Options{chunk: testChunk})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{orphan, tmp} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s not cleaned up", p)
		}
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh blob (quarantine in progress elsewhere) was removed: %v", err)
	}
	list, err := s2.List()
	if err != nil || len(list) != 2 || list[0].ID != ra.ID || list[1].ID != rb.ID {
		t.Fatalf("List after crash = %v, %v", list, err)
	}
	if err := s2.Verify(rb.ID); err != nil {
		t.Error(err)
	}
}

func TestListReportsBadRecordButKeepsOthers(t *testing.T) {
	s := openTest(t)
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, []byte("x"), 0o644)
	rec, err := s.Quarantine(path, Reason{})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(s.Dir(), itemsDir, "0190bbbb-0000-7000-8000-000000000000"+recordExt), []byte("{not json"), 0o600)
	list, err := s.List()
	if err == nil {
		t.Error("bad record not reported")
	}
	if len(list) != 1 || list[0].ID != rec.ID {
		t.Errorf("List = %v, want the good record", list)
	}
}

// TestFailedRemovalLeavesFileInPlace: when the original cannot be removed
// (permissions, a running program on Windows), the store copy is dropped
// and the file stays where it was: never in both, never in neither.
func TestFailedRemovalLeavesFileInPlace(t *testing.T) {
	s := openTest(t)
	path := filepath.Join(t.TempDir(), "locked.exe")
	writeFile(t, path, []byte("busy"), 0o755)
	s.removeOriginal = func(string) error { return fs.ErrPermission }
	if _, err := s.Quarantine(path, Reason{}); !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "left in place") {
		t.Fatalf("err = %v, want a permission error saying the file was left in place", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "busy" {
		t.Errorf("original: %q, %v", b, err)
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Errorf("store kept %d records", len(list))
	}
	if left, _ := os.ReadDir(filepath.Join(s.Dir(), itemsDir)); len(left) != 0 {
		t.Errorf("store kept files: %v", left)
	}
}

func TestConcurrentQuarantine(t *testing.T) {
	s := openTest(t)
	dir := t.TempDir()
	const n = 16
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, "f"+strings.Repeat("x", i))
		writeFile(t, p, randBytes(t, 3000+i), 0o644)
		go func() {
			_, err := s.Quarantine(p, Reason{})
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	list, err := s.List()
	if err != nil || len(list) != n {
		t.Fatalf("List: %d records, %v; want %d", len(list), err, n)
	}
	for _, r := range list {
		if err := s.Verify(r.ID); err != nil {
			t.Error(err)
		}
	}
}
