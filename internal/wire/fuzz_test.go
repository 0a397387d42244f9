package wire

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to DecodeBytes. When gzipIt is set the
// input is compressed first, so the fuzzer explores the JSON-lines and event
// validation layers rather than only the gzip header. Decoding must never
// panic, and an accepted batch must be valid and survive a re-encode.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.ndjson"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
		f.Add(gz(f, string(b)), false)
	}
	f.Add([]byte{}, false)
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), false)
	lim := Limits{MaxBody: 1 << 20, MaxDecompressed: 4 << 20, MaxEvents: 100, MaxLine: 64 << 10}
	f.Fuzz(func(t *testing.T, data []byte, gzipIt bool) {
		body := data
		if gzipIt {
			body = gz(t, string(data))
		}
		evs, err := DecodeBytes(body, lim)
		if err != nil {
			if evs != nil {
				t.Fatalf("events returned with error %v", err)
			}
			if _, ok := err.(*Error); !ok {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if len(evs) == 0 || len(evs) > lim.MaxEvents {
			t.Fatalf("accepted %d events", len(evs))
		}
		for i := range evs {
			if err := evs[i].Validate(); err != nil {
				t.Fatalf("accepted invalid event %d: %v", i, err)
			}
		}
		again, err := Encode(evs)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		evs2, err := DecodeBytes(again, Limits{})
		if err != nil || len(evs2) != len(evs) {
			t.Fatalf("re-decode: %d events, %v", len(evs2), err)
		}
	})
}
