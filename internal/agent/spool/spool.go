// Package spool is the agent's on-disk queue of events waiting for upload:
// append-only segment files in one directory, each record framed with its
// length and a CRC-32C, bounded in size, read and acknowledged in order.
//
// Guarantees: once Append returns nil the records are in the operating
// system (written with write(2), no user-space buffer), so they survive a
// SIGKILL of the agent; with the default sync policy they are also fsynced
// and survive a power cut. Records are delivered by Peek in append order until
// Ack marks them consumed (durably, before any file is deleted), so a record
// is delivered at least once; the server's event.id de-duplication makes that
// exactly once. When the spool exceeds Options.MaxBytes the oldest segment is
// dropped and its unacknowledged records are counted (persisted) so the agent
// can report the loss. On Open a torn or corrupt tail is truncated and
// damaged records elsewhere are skipped; both are counted, neither is fatal.
//
// One goroutine may call Append while another calls Peek, Ack and Reject;
// Stats and the drop-report methods are safe from any goroutine. The spool
// knows nothing of events or HTTP: payloads are opaque bytes (the agent stores
// one JSON-encoded event per record). It is imported by internal/agent and
// its uploader.
package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Options configure a spool. Zero fields take the documented defaults.
type Options struct {
	// MaxBytes bounds the segment files on disk (default 256 MiB). Beyond
	// it the oldest segment is dropped.
	MaxBytes int64
	// SegmentBytes is the size at which a new segment is started (default
	// 8 MiB, at most MaxBytes/4 so that dropping one segment loses little).
	SegmentBytes int64
	// MaxRecordBytes bounds one payload (default 1 MiB).
	MaxRecordBytes int
	// SyncInterval is the fsync policy. 0 (default): every Append is fsynced
	// before it returns. >0: a background flusher fsyncs at most this long
	// after an Append (group commit; a power cut may lose that window, a
	// SIGKILL still loses nothing). <0: never fsync (benchmarks only).
	SyncInterval time.Duration
	// RejectMaxBytes bounds the quarantine file of rejected batches
	// (default 16 MiB; one older generation is kept).
	RejectMaxBytes int64
	Logger         *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 256 << 20
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = 1 << 20
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 8 << 20
	}
	o.SegmentBytes = min(o.SegmentBytes, max(o.MaxBytes/4, 4<<10))
	// A segment must hold at least one maximal record.
	o.SegmentBytes = max(o.SegmentBytes, segHeader+int64(recHeader+o.MaxRecordBytes))
	if o.RejectMaxBytes <= 0 {
		o.RejectMaxBytes = 16 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Errors returned by Append.
var (
	ErrClosed         = errors.New("spool closed")
	ErrRecordTooLarge = errors.New("record too large")
	ErrEmptyRecord    = errors.New("empty record")
)

// Position identifies a place in the spool: the offset in a segment just
// past the last record of a batch. Only positions returned by Peek are
// meaningful to Ack.
type Position struct {
	Segment uint64
	Offset  int64
	index   int // valid records in Segment before Offset
}

// Batch is the result of Peek.
type Batch struct {
	Records [][]byte // oldest first; owned by the caller
	Bytes   int      // sum of payload sizes
	Next    Position // pass to Ack once the records are safely elsewhere
}

// Stats describe the spool. Depth is what is waiting for upload.
type Stats struct {
	Records           int
	Bytes             int64
	Segments          int
	Dropped           uint64 // records dropped because the spool was full, ever
	DroppedUnreported uint64 // of which not yet reported (see MarkDroppedReported)
	Corrupt           uint64 // damaged regions skipped on open
	TornTails         uint64 // torn tails truncated on open
	Rejected          uint64 // records quarantined by Reject
}

type segment struct {
	id      uint64
	size    int64 // committed bytes including the header
	records int   // valid records
}

// Spool is an open spool directory.
type Spool struct {
	dir  string
	opts Options
	log  *slog.Logger

	wmu        sync.Mutex // writer side: active file
	active     *os.File
	activeID   uint64
	activeSize int64
	dirty      bool
	closed     bool

	mu    sync.Mutex // metadata shared by writer and reader
	segs  []segment  // ascending ids; the last is the active one
	ack   Position
	state counters
	// orphans are dropped segments whose file could not be deleted yet.
	orphans []uint64

	rmu  sync.Mutex // reader side: Peek, Ack, Reject
	scan *scanner

	ready chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

// Dir returns the spool directory.
func (s *Spool) Dir() string { return s.dir }

// Ready is signalled (without blocking the writer) after each Append, so a
// reader waiting for data need not poll.
func (s *Spool) Ready() <-chan struct{} { return s.ready }

// Stats returns the current depth and counters.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Segments:          len(s.segs),
		Dropped:           s.state.Dropped,
		DroppedUnreported: s.state.Dropped - min(s.state.DroppedReported, s.state.Dropped),
		Corrupt:           s.state.Corrupt,
		TornTails:         s.state.TornTails,
		Rejected:          s.state.Rejected,
	}
	for i, g := range s.segs {
		st.Records += g.records
		st.Bytes += g.size - segHeader
		if i == 0 && g.id == s.ack.Segment {
			st.Records -= s.ack.index
			st.Bytes -= s.ack.Offset - segHeader
		}
	}
	return st
}

// MarkDroppedReported records that the agent has spooled an event reporting
// n dropped records (call it after appending that event, so a crash in
// between repeats the report rather than losing it).
func (s *Spool) MarkDroppedReported(n uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.DroppedReported += n
	return s.saveState()
}

// Close flushes and closes the spool. Peek and Ack must not be in progress.
func (s *Spool) Close() error {
	s.wmu.Lock()
	if s.closed {
		s.wmu.Unlock()
		return nil
	}
	s.closed = true
	s.wmu.Unlock()
	if s.stop != nil {
		close(s.stop)
		<-s.done
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var errs []error
	if s.opts.SyncInterval >= 0 && s.dirty {
		errs = append(errs, s.active.Sync())
	}
	errs = append(errs, s.active.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close spool %s: %w", s.dir, err)
	}
	return nil
}

// flusher fsyncs the active segment every SyncInterval while it is dirty.
func (s *Spool) flusher() {
	defer close(s.done)
	t := time.NewTicker(s.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.wmu.Lock()
			if s.dirty && !s.closed {
				if err := s.active.Sync(); err != nil {
					s.log.Error("spool fsync failed", "err", err)
				} else {
					s.dirty = false
				}
			}
			s.wmu.Unlock()
		}
	}
}

func (s *Spool) path(id uint64) string { return filepath.Join(s.dir, segName(id)) }
