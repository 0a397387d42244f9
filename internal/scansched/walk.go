package scansched

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// ScanPaths runs one scan now and returns its summary (also passed to
// Callbacks.Summary). It is what scheduled scans run and what the agent calls
// for "scan path" commands (src SourceOnDemand). It returns early, with
// Cancelled set, when ctx is done.
func (s *Service) ScanPaths(ctx context.Context, sc ScanConfig, src Source) (Summary, error) {
	if sc.Name == "" {
		sc.Name = string(src)
	}
	if err := sc.prepare(); err != nil {
		return Summary{}, err
	}
	maxSize := sc.MaxFileSize
	if maxSize <= 0 {
		maxSize = s.cfg.MaxFileSize
	}
	sum := Summary{ScanID: newScanID(), Name: sc.Name, Source: src, Paths: sc.Paths, Started: time.Now()}
	var st statsCounter
	paths := make(chan string, 64)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the walker: directory reads at low priority too
		defer wg.Done()
		defer close(paths)
		s.lockLowPriority()
		w := walker{ctx: ctx, sc: &sc, st: &st, out: paths, seen: map[fileID]bool{}}
		for _, root := range sc.Paths {
			w.walk(root, true, 0)
		}
	}()

	var current atomic.Value // string: the file most recently started
	for i := 0; i < s.cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.lockLowPriority()
			var w worker
			for p := range paths {
				if ctx.Err() != nil {
					continue // drain so the walker can finish
				}
				current.Store(p)
				s.scanFile(ctx, &w, p, src, sum.ScanID, maxSize, &st)
			}
		}()
	}
	// Progress on a clock, not per file: one large file can take minutes.
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	if s.cb.Progress != nil {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			t := time.NewTicker(s.cfg.ProgressInterval)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					cur, _ := current.Load().(string)
					s.cbMu.Lock()
					s.cb.Progress(Progress{ScanID: sum.ScanID, Name: sc.Name, Stats: st.snapshot(), Current: cur})
					s.cbMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	pwg.Wait()

	sum.Finished = time.Now()
	sum.Stats = st.snapshot()
	sum.Cancelled = ctx.Err() != nil
	if err := s.cache.Save(); err != nil {
		s.log.Warn("scan cache not saved", "err", err)
	}
	if s.cb.Summary != nil {
		s.cbMu.Lock()
		s.cb.Summary(sum)
		s.cbMu.Unlock()
	}
	return sum, nil
}

// walker enumerates the files of one scan.
type walker struct {
	ctx  context.Context
	sc   *ScanConfig
	st   *statsCounter
	out  chan<- string
	seen map[fileID]bool // directories entered, when following links
}

// maxDepth bounds directory nesting: the last defence against link loops
// where no inode identifies directories (Windows junctions).
const maxDepth = 128

// walk visits p; root is true for the configured paths (which are scanned
// even if they are links).
func (w *walker) walk(p string, root bool, depth int) {
	if w.ctx.Err() != nil {
		return
	}
	if depth > maxDepth {
		w.st.add(&w.st.WalkErrors, 1)
		return
	}
	fi, err := os.Lstat(p)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) || root {
			w.st.add(&w.st.WalkErrors, 1)
		}
		return
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		if !root && !w.sc.FollowSymlinks {
			return
		}
		if fi, err = os.Stat(p); err != nil {
			return // dangling link
		}
	}
	if len(w.sc.Exclude) > 0 && w.sc.Exclude.Match(p) {
		w.st.add(&w.st.Excluded, 1)
		return
	}
	switch {
	case fi.IsDir():
		if id, ok := identityOf(fi); ok {
			id.Size, id.MTime, id.CTime = 0, 0, 0 // a directory is its dev+inode
			if w.seen[id] {
				return // a link loop or a second way to the same tree
			}
			w.seen[id] = true
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			w.st.add(&w.st.WalkErrors, 1)
		}
		for _, e := range entries {
			w.walk(filepath.Join(p, e.Name()), false, depth+1)
		}
	case fi.Mode().IsRegular():
		if len(w.sc.Include) > 0 && !w.sc.Include.Match(p) {
			w.st.add(&w.st.Excluded, 1)
			return
		}
		w.st.add(&w.st.Files, 1)
		select {
		case w.out <- p:
		case <-w.ctx.Done():
		}
	}
}
