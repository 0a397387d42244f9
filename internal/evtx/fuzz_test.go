package evtx

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

// FuzzReader feeds arbitrary bytes to the reader and renders every record
// it returns. It must never panic, hang or grow without bound. Seeds: the
// synthetic files of the tests, plus the smallest corpus samples (cut to
// their used part, when the corpora are present). Long runs:
//
//	go test ./internal/evtx -run '^$' -fuzz FuzzReader -fuzztime 10m -fuzzminimizetime 5s
//
// (the default minimisation budget, 60 s per new input, stalls the run on
// inputs of several KiB).
func FuzzReader(f *testing.F) {
	f.Add(usedPart(buildFile(buildChunk(sysmonLike))))
	f.Add(usedPart(buildFile(buildChunk(sysmonLike, sysmonLike)))[:fileHeaderSize+900])
	f.Add(truncated())
	if root := corpus.Root(); root != "" {
		for _, p := range smallestSamples(filepath.Join(root, "evtx", "samples"), 4) {
			data, err := os.ReadFile(p)
			if err != nil || len(data) < fileHeaderSize+chunkHeaderSize {
				continue
			}
			f.Add(usedPart(data))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{OnError: func(error) {}})
		if err != nil {
			return
		}
		var buf []byte
		for i := 0; i < 10000; i++ {
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				return
			}
			buf, _ = rec.AppendXML(buf[:0])
			_ = rec.Fields()
			_ = rec.Flat()
		}
		t.Fatal("more than 10000 records from a fuzz input")
	})
}

// usedPart keeps the file header and the used part of the first chunk:
// small seeds fuzz much faster, and a short last chunk is valid input.
func usedPart(data []byte) []byte {
	if len(data) < fileHeaderSize+chunkHeaderSize {
		return data
	}
	used := int(binary.LittleEndian.Uint32(data[fileHeaderSize+48:]))
	if used > chunkHeaderSize && fileHeaderSize+used <= len(data) {
		return data[:fileHeaderSize+used]
	}
	return data
}

// smallestSamples returns the n smallest .evtx files under dir whose first
// chunk is not full (so the cut seed stays small).
func smallestSamples(dir string, n int) []string {
	type fs struct {
		p    string
		used int
	}
	var all []fs
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".evtx" {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		b := make([]byte, 4)
		if _, err := f.ReadAt(b, fileHeaderSize+48); err == nil {
			all = append(all, fs{p, int(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)})
		}
		return nil
	})
	sort.Slice(all, func(i, j int) bool { return all[i].used < all[j].used })
	var out []string
	for _, x := range all {
		if len(out) == n {
			break
		}
		if x.used > chunkHeaderSize {
			out = append(out, x.p)
		}
	}
	return out
}
