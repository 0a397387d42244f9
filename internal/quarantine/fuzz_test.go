package quarantine

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecrypt feeds arbitrary blobs to the decoder: it must fail cleanly,
// never panic, and never allocate more than one chunk (at most 1 MiB).
func FuzzDecrypt(f *testing.F) {
	key := bytes.Repeat([]byte{1}, 32)
	for _, n := range []int{0, 5, 64, 200} {
		var b bytes.Buffer
		if err := encrypt(&b, bytes.NewReader(bytes.Repeat([]byte("m"), n)), key, []byte("id"), 64); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	seeds, _ := filepath.Glob("testdata/corpus/*.blob")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		var out bytes.Buffer
		err := decrypt(&out, bytes.NewReader(blob), key, []byte("id"))
		if err == nil && out.Len() > len(blob) {
			t.Fatalf("decrypted %d bytes from a %d-byte blob", out.Len(), len(blob))
		}
		_ = decrypt(io.Discard, bytes.NewReader(blob), key, []byte("other"))
	})
}

// FuzzRecord feeds arbitrary JSON to the record decoder.
func FuzzRecord(f *testing.F) {
	f.Add([]byte(`{"id":"abc","original_path":"/x","sha256":"00","size":1,"mode":420,"reason":{"rule":"r"},"time":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"id":"abc","uid":-1,"gid":99999999999}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b, "abc")
		if err == nil && r.ID != "abc" {
			t.Fatalf("accepted record with id %q", r.ID)
		}
	})
}
