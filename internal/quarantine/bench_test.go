package quarantine

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkQuarantineRestore measures one quarantine plus one restore of an
// 8 MiB file (encrypt, fsyncs, decrypt, verify).
func BenchmarkQuarantineRestore(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "q"))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "f")
	data := make([]byte, 8<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
		rec, err := s.Quarantine(path, Reason{})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Restore(rec.ID, ""); err != nil {
			b.Fatal(err)
		}
	}
}
