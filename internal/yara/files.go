package yara

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
)

func readAll(f *os.File, size int64) ([]byte, func(), error) {
	b, err := io.ReadAll(io.LimitReader(f, size+1))
	if err != nil {
		return nil, nil, err
	}
	return b, func() {}, nil
}

// ErrTooLarge is returned (wrapped) for files over the size limit.
var ErrTooLarge = errors.New("file larger than the size limit")

// Digests are a scanned file's hashes.
type Digests struct {
	MD5    [16]byte
	SHA1   [20]byte
	SHA256 [32]byte
}

// FileResult is the outcome of scanning one file.
type FileResult struct {
	Path    string
	Size    int64
	Digests *Digests // when requested
	Matches []RuleMatch
	Err     error
}

// ScanFile scans one file, memory-mapped where the platform allows.
// maxSize (0: no limit) skips larger files with ErrTooLarge.
func (rs *Rules) ScanFile(ctx context.Context, path string, maxSize int64, opts *ScanOptions, digests bool) FileResult {
	res := FileResult{Path: path}
	f, err := os.Open(path)
	if err != nil {
		res.Err = err
		return res
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		res.Err = err
		return res
	}
	if !st.Mode().IsRegular() {
		res.Err = fmt.Errorf("scan %s: not a regular file", path)
		return res
	}
	res.Size = st.Size()
	if maxSize > 0 && st.Size() > maxSize {
		res.Err = fmt.Errorf("scan %s: %w (%d > %d bytes)", path, ErrTooLarge, st.Size(), maxSize)
		return res
	}
	data, release, err := mapFile(f, st.Size())
	if err != nil {
		res.Err = fmt.Errorf("scan %s: %w", path, err)
		return res
	}
	defer release()
	if digests {
		res.Digests = &Digests{MD5: md5.Sum(data), SHA1: sha1.Sum(data), SHA256: sha256.Sum256(data)}
	}
	res.Matches, err = rs.Scan(ctx, data, opts)
	if err != nil {
		res.Err = fmt.Errorf("scan %s: %w", path, err)
	}
	return res
}

// Pool scans many files concurrently with one shared, read-only Rules.
type Pool struct {
	Rules   *Rules
	Threads int   // workers; 0 means GOMAXPROCS
	MaxSize int64 // per-file size limit; 0 means none
	Options ScanOptions
	Digests bool // compute MD5, SHA-1 and SHA-256 of each file
}

// Run scans every path received from paths and calls emit with each
// result, from one goroutine at a time. It returns when paths is closed
// and all workers are done, or when ctx is cancelled.
func (p *Pool) Run(ctx context.Context, paths <-chan string, emit func(FileResult)) {
	n := p.Threads
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	results := make(chan FileResult, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path := range paths {
				if ctx.Err() != nil {
					continue // drain
				}
				opts := p.Options
				results <- p.Rules.ScanFile(ctx, path, p.MaxSize, &opts, p.Digests)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	for r := range results {
		emit(r)
	}
}
