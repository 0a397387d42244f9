package spool

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Open opens (creating if needed) the spool in dir and recovers it: torn
// tails are truncated, damaged records counted and skipped, segments left
// over from an interrupted drop or acknowledgement deleted. Only an I/O
// error on the directory itself makes Open fail.
func Open(dir string, opts Options) (*Spool, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool dir: %w", err)
	}
	s := &Spool{
		dir:   dir,
		opts:  opts,
		log:   opts.Logger.With("component", "spool"),
		scan:  newScanner(opts.MaxRecordBytes),
		ready: make(chan struct{}, 1),
	}
	if _, err := readJSON(filepath.Join(dir, stateFile), &s.state); err != nil {
		// Counters are informative; losing them must not stop the agent.
		s.log.Error("spool counters unreadable, starting from zero", "err", err)
		s.state = counters{}
	}
	var ack ackRecord
	if _, err := readJSON(filepath.Join(dir, ackFile), &ack); err != nil {
		// Without the ack everything is delivered again; the server ignores
		// the duplicates.
		s.log.Error("spool ack unreadable, redelivering from the start", "err", err)
		ack = ackRecord{}
	}
	before := s.state

	ids, err := s.listSegments(ack.Segment)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		g, ok, err := s.recoverSegment(id, i == len(ids)-1)
		if err != nil {
			return nil, err
		}
		if ok {
			s.segs = append(s.segs, g)
		}
	}
	if n := len(s.segs); n > 0 {
		s.state.Scanned = ackRecord{Segment: s.segs[n-1].id, Offset: s.segs[n-1].size}
	}
	nextID := max(ack.Segment, s.state.DroppedThrough) + 1
	if n := len(s.segs); n > 0 {
		nextID = max(nextID, s.segs[n-1].id+1)
	}
	if len(s.segs) == 0 || s.segs[len(s.segs)-1].size+recHeader+1 > opts.SegmentBytes {
		if err := s.createSegment(nextID); err != nil {
			return nil, err
		}
	}
	s.ack = s.positionAfterRecovery(ack)

	last := s.segs[len(s.segs)-1]
	if s.active == nil {
		f, err := os.OpenFile(s.path(last.id), os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open spool segment: %w", err)
		}
		s.active, s.activeID, s.activeSize = f, last.id, last.size
	}
	if s.state != before {
		if err := s.saveState(); err != nil {
			s.active.Close()
			return nil, err
		}
	}
	if opts.SyncInterval > 0 {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.flusher()
	}
	return s, nil
}

// listSegments returns the ids of live segments, deleting temporary files,
// segments already dropped and segments fully acknowledged.
func (s *Spool) listSegments(ackSeg uint64) ([]uint64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read spool dir: %w", err)
	}
	var ids []uint64
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(s.dir, name))
			continue
		}
		id, ok := parseSegName(name)
		if !ok {
			continue
		}
		if (s.state.DroppedThrough > 0 && id <= s.state.DroppedThrough) || id < ackSeg {
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
				s.log.Warn("cannot delete consumed segment", "segment", name, "err", err)
			}
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// recoverSegment scans one segment, truncating a torn tail if it is the
// last (the only one a crash can leave half-written). ok is false when the
// segment was unusable and has been removed.
func (s *Spool) recoverSegment(id uint64, last bool) (g segment, ok bool, err error) {
	path := s.path(id)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return g, false, fmt.Errorf("open spool segment: %w", err)
	}
	defer f.Close()
	var hdr [segHeader]byte
	if n, _ := io.ReadFull(f, hdr[:]); n < int(segHeader) || string(hdr[:]) != segMagic {
		if n < int(segHeader) && last && string(hdr[:n]) == segMagic[:n] {
			s.state.TornTails++ // crashed while creating the segment
		} else {
			s.state.Corrupt++
			s.log.Error("spool segment has no valid header, deleting it", "segment", path)
		}
		f.Close()
		if err := os.Remove(path); err != nil {
			return g, false, fmt.Errorf("remove damaged segment: %w", err)
		}
		return g, false, nil
	}
	sc := s.scan
	sc.reset(io.NewSectionReader(f, segHeader, 1<<62), segHeader)
	seen := s.state.Scanned
	switch {
	case id < seen.Segment:
		sc.countFrom = 1 << 62
	case id == seen.Segment:
		sc.countFrom = seen.Offset
	}
	g = segment{id: id}
	for sc.next() {
		g.records++
	}
	if sc.err != nil {
		return g, false, fmt.Errorf("scan spool segment %s: %w", path, sc.err)
	}
	g.size = sc.lastGood
	s.state.Corrupt += uint64(sc.skipped)
	if sc.skipped > 0 {
		s.log.Warn("spool segment had damaged records, skipped", "segment", path, "regions", sc.skipped)
	}
	if sc.tail {
		if last {
			s.state.TornTails++
			s.log.Warn("spool segment had a torn tail, truncated", "segment", path, "size", g.size)
			if err := f.Truncate(g.size); err != nil {
				return g, false, fmt.Errorf("truncate torn spool tail: %w", err)
			}
			if err := f.Sync(); err != nil {
				return g, false, fmt.Errorf("sync spool segment: %w", err)
			}
		} else if sc.badStart >= sc.countFrom {
			s.state.Corrupt++
		}
	}
	return g, true, nil
}

// positionAfterRecovery turns the stored ack into a position on the live
// segments, clamped to what survived.
func (s *Spool) positionAfterRecovery(ack ackRecord) Position {
	first := s.segs[0]
	if ack.Segment != first.id || ack.Offset <= segHeader {
		return Position{Segment: first.id, Offset: segHeader}
	}
	pos := Position{Segment: first.id, Offset: min(ack.Offset, first.size)}
	f, err := os.Open(s.path(first.id))
	if err != nil {
		s.log.Error("cannot reopen first segment to count acknowledged records", "err", err)
		return pos
	}
	defer f.Close()
	s.scan.reset(io.NewSectionReader(f, segHeader, pos.Offset-segHeader), segHeader)
	for s.scan.next() {
		pos.index++
	}
	return pos
}

// createSegment starts a new, empty active segment, durably.
func (s *Spool) createSegment(id uint64) error {
	path := s.path(id)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("create spool segment: %w", err)
	}
	if _, err := f.Write([]byte(segMagic)); err != nil {
		f.Close()
		return fmt.Errorf("write spool segment header: %w", err)
	}
	if s.opts.SyncInterval >= 0 {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("sync spool segment: %w", err)
		}
		if err := syncDir(s.dir); err != nil {
			f.Close()
			return err
		}
	}
	if s.active != nil {
		s.active.Close()
	}
	s.active, s.activeID, s.activeSize = f, id, segHeader
	s.mu.Lock()
	s.segs = append(s.segs, segment{id: id, size: segHeader})
	s.mu.Unlock()
	return nil
}
