package scansched

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Service runs scheduled, on-access and on-demand scans with one Scanner,
// one cache, one rate limiter and one budget of worker slots.
type Service struct {
	cfg   Config
	sc    Scanner
	cb    Callbacks
	log   *slog.Logger
	cache *Cache
	lim   *Limiter
	slots chan struct{} // one token per concurrent file scan

	ready     chan struct{} // closed once Run has its watches in place
	readyOnce sync.Once

	cbMu     sync.Mutex // callbacks are called one at a time
	onAccess statsCounter
	prioOnce sync.Once
}

// New validates cfg, opens the cache and returns a Service. Nothing runs
// until Run or ScanPaths is called.
func New(cfg Config, sc Scanner, cb Callbacks, log *slog.Logger) (*Service, error) {
	if sc == nil {
		return nil, errors.New("scansched: nil scanner")
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cache, err := OpenCache(cfg.CachePath, cfg.CacheEntries, sc.RulesVersion())
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, sc: sc, cb: cb, log: log.With("component", "scansched"), cache: cache,
		lim: NewLimiter(cfg.BytesPerSecond, 0), slots: make(chan struct{}, cfg.Workers), ready: make(chan struct{})}
	return s, nil
}

// Ready is closed once Run has set up on-access watches and started the
// schedules: files written after that are seen.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Cache returns the service's cache (for tests and status pages).
func (s *Service) Cache() *Cache { return s.cache }

// OnAccessStats returns on-access counters since the service started.
func (s *Service) OnAccessStats() Stats { return s.onAccess.snapshot() }

// lockLowPriority pins the calling goroutine to its OS thread for good and
// lowers that thread's priority. The goroutine must exit without unlocking,
// so the Go runtime destroys the thread rather than reuse it.
func (s *Service) lockLowPriority() {
	runtime.LockOSThread()
	nice := s.cfg.Nice
	if err := lowerThreadPriority(max(nice, 0), !s.cfg.NormalIO); err != nil {
		s.prioOnce.Do(func() { s.log.Warn("cannot lower scan priority", "err", err) })
	}
}

// outcome of scanning one file.
type outcome int

const (
	outScanned outcome = iota
	outCached
	outTooLarge
	outSkipped // not a regular file, or vanished
	outError
)

// keepBuffer is the largest read buffer a worker keeps between files.
const keepBuffer = 1 << 20

// worker holds one scanning goroutine's reusable buffer.
type worker struct {
	buf  bytes.Buffer
	debt time.Duration // pause owed to the CPU cap, paid in chunks
}

// scanFile scans one file and reports a Finding when something matched or
// failed. It takes a worker slot for its duration.
func (s *Service) scanFile(ctx context.Context, w *worker, path string, src Source, scanID string, maxSize int64, st *statsCounter) outcome {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return outSkipped
	}
	defer func() { <-s.slots }()
	if s.cfg.MaxCPU > 0 && s.cfg.MaxCPU < 1 {
		// Registered after the slot release, so it runs first: the pause
		// holds the slot and the cap applies to the whole service.
		cpu0, wall0 := threadCPU(), time.Now()
		defer s.dutyCycle(ctx, w, cpu0, wall0)
	}

	f, err := openForScan(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return outSkipped
		}
		s.report(Finding{Source: src, ScanID: scanID, Path: path, Err: err, Time: time.Now()})
		st.add(&st.Errors, 1)
		return outError
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return outSkipped
	}
	if fi.Size() > maxSize {
		st.add(&st.TooLarge, 1)
		return outTooLarge
	}
	id, hasID := fileIdentity(f, fi)
	if hasID && s.cache.cleanID(id) {
		st.add(&st.Cached, 1)
		return outCached
	}
	h := sha256.New()
	w.buf.Reset()
	defer func() {
		// Keep a small buffer for the many small files; drop a large one
		// at once so an idle agent does not hold a 64 MiB buffer.
		if w.buf.Cap() > keepBuffer {
			w.buf = bytes.Buffer{}
		}
	}()
	w.buf.Grow(int(fi.Size()) + 1)
	lr := &limitedReader{ctx: ctx, r: io.LimitReader(f, maxSize+1), l: s.lim}
	n, err := w.buf.ReadFrom(io.TeeReader(lr, h))
	st.add(&st.Bytes, n)
	if err != nil {
		if ctx.Err() != nil {
			return outSkipped
		}
		s.report(Finding{Source: src, ScanID: scanID, Path: path, Size: fi.Size(), Err: fmt.Errorf("read %s: %w", path, err), Time: time.Now()})
		st.add(&st.Errors, 1)
		return outError
	}
	if n > maxSize {
		st.add(&st.TooLarge, 1)
		return outTooLarge
	}
	var sum [32]byte
	h.Sum(sum[:0])
	// Only remember the identity if the file did not change while read.
	var idp *fileID
	if fi2, err := f.Stat(); err == nil && hasID {
		if id2, ok := fileIdentity(f, fi2); ok && id2 == id {
			idp = &id
		}
	}
	if s.cache.cleanHash(sum) {
		if idp != nil {
			s.cache.putClean(idp, sum)
		}
		st.add(&st.Cached, 1)
		return outCached
	}
	st.add(&st.Scanned, 1)
	dets, err := s.safeScan(ctx, path, w.buf.Bytes())
	hexSum := hex.EncodeToString(sum[:])
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return outSkipped
		}
		s.report(Finding{Source: src, ScanID: scanID, Path: path, Size: n, SHA256: hexSum, Err: fmt.Errorf("scan %s: %w", path, err), Time: time.Now()})
		st.add(&st.Errors, 1)
		return outError
	case len(dets) == 0:
		s.cache.putClean(idp, sum)
	default:
		st.add(&st.Detected, 1)
		s.report(Finding{Source: src, ScanID: scanID, Path: path, Size: n, SHA256: hexSum, Detections: dets, Time: time.Now()})
	}
	return outScanned
}

// safeScan calls the Scanner, turning a panic (a bug in an engine or a
// module, triggered by a hostile file) into an error for that file.
func (s *Service) safeScan(ctx context.Context, path string, data []byte) (dets []Detection, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("scanner panic: %v", r)
		}
	}()
	return s.sc.Scan(ctx, path, data)
}

// dutyCycle keeps the worker's CPU at most MaxCPU of its wall time. The
// pause owed for each file is accumulated and slept once it reaches
// minPause: timers are too coarse for the sub-millisecond pauses of small
// files, and skipping those would let the cap leak.
func (s *Service) dutyCycle(ctx context.Context, w *worker, cpu0 time.Duration, wall0 time.Time) {
	w.debt = owed(w.debt, threadCPU()-cpu0, time.Since(wall0), s.cfg.MaxCPU)
	if w.debt < minPause {
		return
	}
	start := time.Now()
	t := time.NewTimer(w.debt)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	w.debt = max(w.debt-time.Since(start), 0)
}

const minPause = 5 * time.Millisecond

// owed adds to debt the pause after work that used cpu over elapsed wall
// time so that cpu/(elapsed+pause) <= share. Time spent waiting (I/O, the
// byte-rate limiter) pays debt off but is not banked as credit.
func owed(debt, cpu, elapsed time.Duration, share float64) time.Duration {
	if share <= 0 || share >= 1 {
		return 0
	}
	return max(debt+time.Duration(float64(cpu)/share)-elapsed, 0)
}

func (s *Service) report(f Finding) {
	if s.cb.Finding == nil {
		return
	}
	s.cbMu.Lock()
	defer s.cbMu.Unlock()
	s.cb.Finding(f)
}

// statsCounter is Stats updated atomically.
type statsCounter struct{ Stats }

func (c *statsCounter) add(field *int64, n int64) { atomic.AddInt64(field, n) }

func (c *statsCounter) snapshot() Stats {
	return Stats{
		Files: atomic.LoadInt64(&c.Files), Scanned: atomic.LoadInt64(&c.Scanned),
		Cached: atomic.LoadInt64(&c.Cached), Bytes: atomic.LoadInt64(&c.Bytes),
		Detected: atomic.LoadInt64(&c.Detected), Errors: atomic.LoadInt64(&c.Errors),
		TooLarge: atomic.LoadInt64(&c.TooLarge), Excluded: atomic.LoadInt64(&c.Excluded),
		Dropped: atomic.LoadInt64(&c.Dropped), WalkErrors: atomic.LoadInt64(&c.WalkErrors),
	}
}

func newScanID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
