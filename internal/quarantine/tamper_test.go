package quarantine

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/yara"
	"github.com/medshield/medshield/rules"
)

func TestTamperedBlobIsRefused(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, s *Store, rec, other Record)
	}{
		{"flipped byte in header", func(t *testing.T, s *Store, rec, _ Record) { flip(t, s.blobPath(rec.ID), 10) }},
		{"flipped byte in first chunk", func(t *testing.T, s *Store, rec, _ Record) { flip(t, s.blobPath(rec.ID), headerLen+5) }},
		{"flipped byte in last chunk", func(t *testing.T, s *Store, rec, _ Record) { flip(t, s.blobPath(rec.ID), -3) }},
		{"last chunk cut off", func(t *testing.T, s *Store, rec, _ Record) {
			// The tail chunk is 100+16 bytes; dropping it leaves whole chunks only.
			truncate(t, s.blobPath(rec.ID), -(100 + 16))
		}},
		{"one byte cut off", func(t *testing.T, s *Store, rec, _ Record) { truncate(t, s.blobPath(rec.ID), -1) }},
		{"bytes appended", func(t *testing.T, s *Store, rec, _ Record) {
			f, _ := os.OpenFile(s.blobPath(rec.ID), os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte("extra"))
			f.Close()
		}},
		{"blob swapped with another record's", func(t *testing.T, s *Store, rec, other Record) {
			b, _ := os.ReadFile(s.blobPath(other.ID))
			os.WriteFile(s.blobPath(rec.ID), b, 0o600)
		}},
		{"record sha256 edited", func(t *testing.T, s *Store, rec, _ Record) {
			rec.SHA256 = "00" + rec.SHA256[2:]
			b, _ := jsonRecord(rec)
			os.WriteFile(s.recordPath(rec.ID), b, 0o600)
		}},
		{"key replaced", func(t *testing.T, s *Store, _, _ Record) { s.key = bytes.Repeat([]byte{7}, 32) }},
		{"empty blob", func(t *testing.T, s *Store, rec, _ Record) { os.WriteFile(s.blobPath(rec.ID), nil, 0o600) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			dir := t.TempDir()
			path := filepath.Join(dir, "victim")
			data := randBytes(t, 3*testChunk+100)
			writeFile(t, path, data, 0o644)
			rec, err := s.Quarantine(path, Reason{})
			if err != nil {
				t.Fatal(err)
			}
			op := filepath.Join(dir, "other")
			writeFile(t, op, data, 0o644)
			other, err := s.Quarantine(op, Reason{})
			if err != nil {
				t.Fatal(err)
			}
			tc.damage(t, s, rec, other)
			if err := s.Verify(rec.ID); !errors.Is(err, ErrTampered) {
				t.Errorf("Verify: %v, want ErrTampered", err)
			}
			err = s.Restore(rec.ID, "")
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("Restore: %v, want ErrTampered", err)
			}
			if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Error("a tampered blob was restored to the original path")
			}
			if tmps, _ := filepath.Glob(filepath.Join(dir, ".medshield-restore-*")); len(tmps) != 0 {
				t.Errorf("temporary files left: %v", tmps)
			}
			if _, err := s.Get(rec.ID); err != nil {
				t.Errorf("record dropped after failed restore: %v", err)
			}
		})
	}
}

func flip(t *testing.T, path string, off int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if off < 0 {
		off += len(b)
	}
	b[off] ^= 0x40
	os.WriteFile(path, b, 0o600)
}

func truncate(t *testing.T, path string, by int64) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()+by); err != nil {
		t.Fatal(err)
	}
}

// eicar builds the EICAR test string here so the source file itself does
// not trip scanners.
func eicar() []byte {
	return []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-ANTIVIRUS-" + `TEST-FILE!$H+H*`)
}

// TestQuarantinedEICARIsNotRedetected runs medshield's own EICAR rule over
// the file before quarantine, over every file of the store after, and over
// the restored file.
func TestQuarantinedEICARIsNotRedetected(t *testing.T) {
	src, err := fs.ReadFile(rules.Yara, "yara/eicar.yar")
	if err != nil {
		t.Fatal(err)
	}
	c, err := yara.NewCompiler(yara.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddSource("eicar.yar", "", src); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Rules()
	if err != nil {
		t.Fatal(err)
	}
	matches := func(path string) int {
		r := rs.ScanFile(context.Background(), path, 0, nil, false)
		if r.Err != nil {
			t.Fatalf("scan %s: %v", path, r.Err)
		}
		return len(r.Matches)
	}
	s := openTest(t)
	path := filepath.Join(t.TempDir(), "eicar.com")
	writeFile(t, path, eicar(), 0o755)
	if n := matches(path); n != 1 {
		t.Fatalf("EICAR rule matched the test file %d times, want 1", n)
	}
	rec, err := s.Quarantine(path, Reason{Rule: "default:EICAR_Test_File", Source: "scan"})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(s.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if n := matches(p); n != 0 {
			t.Errorf("%s in the store matches the EICAR rule", p)
		}
		if st, _ := d.Info(); st.Mode()&0o111 != 0 {
			t.Errorf("%s in the store is executable (%v)", p, st.Mode())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(rec.ID, ""); err != nil {
		t.Fatal(err)
	}
	if n := matches(path); n != 1 {
		t.Errorf("restored file matched %d times, want 1", n)
	}
}
