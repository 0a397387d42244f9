package scansched

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// onAccess watches folders (recursively) and scans new and modified files
// once they have been quiet for the debounce period. fsnotify reports every
// write, not the close; the debounce stands in for CLOSE_WRITE.
type onAccess struct {
	s       *Service
	cfg     OnAccessConfig
	fsw     *fsnotify.Watcher
	pending map[string]time.Time // path -> due time
	q       *queue
}

func (s *Service) newOnAccess() (*onAccess, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("on-access watcher: %w", err)
	}
	oa := &onAccess{s: s, cfg: s.cfg.OnAccess, fsw: fsw, pending: map[string]time.Time{},
		q: newQueue(s.cfg.OnAccess.QueueSize)}
	for _, p := range oa.cfg.Paths {
		if err := oa.addTree(p, false); err != nil {
			fsw.Close()
			return nil, err
		}
	}
	return oa, nil
}

// addTree watches dir and its subdirectories; when enqueue is set (a
// directory that just appeared) the files already in it are queued, since
// they may have been written before the watch existed.
func (oa *onAccess) addTree(root string, enqueue bool) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if p == root && !enqueue {
				return fmt.Errorf("on-access watch %s: %w", root, err)
			}
			return nil
		}
		if oa.cfg.Exclude.Match(p) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if err := oa.fsw.Add(p); err != nil {
				oa.s.log.Warn("on-access: cannot watch", "dir", p, "err", err)
				if p == root && !enqueue {
					return fmt.Errorf("on-access watch %s: %w", root, err)
				}
			}
			return nil
		}
		if enqueue && d.Type().IsRegular() {
			if len(oa.pending) >= maxPending(oa.cfg) {
				oa.s.onAccess.add(&oa.s.onAccess.Dropped, 1)
				return nil
			}
			oa.pending[p] = time.Now().Add(oa.cfg.Debounce)
		}
		return nil
	})
}

// maxPending bounds the files waiting out their debounce period.
func maxPending(c OnAccessConfig) int { return 4 * c.QueueSize }

func (oa *onAccess) run(ctx context.Context) {
	defer oa.fsw.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		oa.worker(wctx)
	}()

	tick := time.NewTicker(max(oa.cfg.Debounce/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-oa.fsw.Events:
			if !ok {
				return
			}
			oa.event(ev)
		case err, ok := <-oa.fsw.Errors:
			if !ok {
				return
			}
			// Overflow: events were lost. Nothing to rescan precisely;
			// the scheduled scan will cover what was missed.
			oa.s.log.Warn("on-access watcher", "err", err)
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				oa.s.onAccess.add(&oa.s.onAccess.Dropped, 1)
			}
		case now := <-tick.C:
			for p, due := range oa.pending {
				if now.Before(due) {
					continue
				}
				delete(oa.pending, p)
				if !oa.q.push(p) {
					oa.s.onAccess.add(&oa.s.onAccess.Dropped, 1)
				}
			}
		}
	}
}

func (oa *onAccess) event(ev fsnotify.Event) {
	switch {
	case ev.Has(fsnotify.Create):
		if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
			oa.addTree(ev.Name, true)
			return
		}
		fallthrough
	case ev.Has(fsnotify.Write):
		if oa.cfg.Exclude.Match(ev.Name) {
			oa.s.onAccess.add(&oa.s.onAccess.Excluded, 1)
			return
		}
		// Every write pushes the due time back: scan once, when quiet.
		if _, ok := oa.pending[ev.Name]; !ok && len(oa.pending) >= maxPending(oa.cfg) {
			oa.s.onAccess.add(&oa.s.onAccess.Dropped, 1) // a write storm: bounded memory
			return
		}
		oa.pending[ev.Name] = time.Now().Add(oa.cfg.Debounce)
	case ev.Has(fsnotify.Remove), ev.Has(fsnotify.Rename):
		delete(oa.pending, ev.Name)
	}
}

// worker scans queued files on a low-priority thread.
func (oa *onAccess) worker(ctx context.Context) {
	oa.s.lockLowPriority()
	var w worker
	st := &oa.s.onAccess
	for {
		p, ok := oa.q.pop(ctx)
		if !ok {
			return
		}
		// Links are not followed on access: a planted link must not make
		// the agent read files elsewhere.
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if !oa.cfg.AllFiles && !interestingFile(p) {
			st.add(&st.Excluded, 1)
			continue
		}
		st.add(&st.Files, 1)
		oa.s.scanFile(ctx, &w, p, SourceOnAccess, "", oa.s.cfg.MaxFileSize, st)
	}
}

// interestingFile checks a file's extension, then its first bytes.
func interestingFile(p string) bool {
	if Interesting(p, nil) {
		return true
	}
	f, err := openForScan(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, magicLen)
	n, _ := io.ReadFull(f, head)
	return Interesting(p, head[:n])
}

// queue is a bounded FIFO of paths without duplicates: a file queued twice
// is scanned once.
type queue struct {
	mu     sync.Mutex
	items  []string
	queued map[string]bool
	max    int
	ready  chan struct{} // has a token while items is not empty
}

func newQueue(max int) *queue {
	return &queue{queued: map[string]bool{}, max: max, ready: make(chan struct{}, 1)}
}

// push adds p unless it is already queued; it returns false if the queue is
// full.
func (q *queue) push(p string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.queued[p] {
		return true
	}
	if len(q.items) >= q.max {
		return false
	}
	q.items = append(q.items, p)
	q.queued[p] = true
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// pop waits for a path; false when ctx is done.
func (q *queue) pop(ctx context.Context) (string, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			p := q.items[0]
			q.items[0] = ""
			q.items = q.items[1:]
			delete(q.queued, p)
			if len(q.items) > 0 {
				select {
				case q.ready <- struct{}{}:
				default:
				}
			}
			q.mu.Unlock()
			return p, true
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-ctx.Done():
			return "", false
		}
	}
}

// Len returns the number of queued paths.
func (q *queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
