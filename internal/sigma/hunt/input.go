package hunt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// inputKind is how a file is read.
type inputKind int

const (
	kindEVTX inputKind = iota
	kindJSON
)

// input is one file to hunt.
type input struct {
	path string
	kind inputKind
	size int64
	idx  int // position in the sorted input list
}

var evtxMagic = []byte("ElfFile\x00")

// discover expands paths (files and directories, recursively) into the
// files to read, sorted by path so that output order is deterministic.
// Files in directories are chosen by extension (.evtx, .json, .jsonl,
// .ndjson); files named on the command line are sniffed.
func discover(paths []string) ([]input, error) {
	var out []input
	seen := map[string]bool{}
	add := func(p string, explicit bool, size int64) error {
		if seen[p] {
			return nil
		}
		kind, ok, err := sniff(p, explicit)
		if err != nil {
			return err
		}
		if ok {
			seen[p] = true
			out = append(out, input{path: p, kind: kind, size: size})
		}
		return nil
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("hunt %s: %w", p, err)
		}
		if !st.IsDir() {
			if err := add(p, true, st.Size()); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			return add(q, false, info.Size())
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", p, err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	for i := range out {
		out[i].idx = i
	}
	return out, nil
}

func sniff(p string, explicit bool) (inputKind, bool, error) {
	ext := strings.ToLower(filepath.Ext(p))
	switch ext {
	case ".evtx":
		return kindEVTX, true, nil
	case ".json", ".jsonl", ".ndjson":
		return kindJSON, true, nil
	}
	if !explicit {
		return 0, false, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	head := make([]byte, 64)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, false, fmt.Errorf("read %s: %w", p, err)
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, evtxMagic):
		return kindEVTX, true, nil
	case bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf"), []byte("{")):
		return kindJSON, true, nil
	}
	return 0, false, fmt.Errorf("%s: neither an .evtx file nor JSON lines", p)
}
