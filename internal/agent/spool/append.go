package spool

import (
	"fmt"
	"os"
)

// Append adds records to the spool as one write per segment touched and,
// with the default policy, one fsync. When it returns nil every record is
// durable (see the package comment); on error none of the records of the
// failing segment write is visible to readers, though earlier segments of a
// large call may be.
func (s *Spool) Append(payloads ...[]byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return ErrClosed
	}
	for i, p := range payloads {
		if len(p) == 0 {
			return fmt.Errorf("append record %d: %w", i, ErrEmptyRecord)
		}
		if len(p) > s.opts.MaxRecordBytes {
			return fmt.Errorf("append record %d: %w: %d bytes (max %d)", i, ErrRecordTooLarge, len(p), s.opts.MaxRecordBytes)
		}
	}
	var buf []byte
	n := 0
	for _, p := range payloads {
		size := int64(recHeader + len(p))
		if s.activeSize+int64(len(buf))+size > s.opts.SegmentBytes && s.activeSize+int64(len(buf)) > segHeader {
			if err := s.write(buf, n); err != nil {
				return err
			}
			buf, n = buf[:0], 0
			if err := s.rotate(); err != nil {
				return err
			}
		}
		buf = appendRecord(buf, p)
		n++
	}
	if err := s.write(buf, n); err != nil {
		return err
	}
	select {
	case s.ready <- struct{}{}:
	default:
	}
	return nil
}

// write appends buf (n framed records) to the active segment, syncs per
// policy and only then makes the records visible to the reader.
func (s *Spool) write(buf []byte, n int) error {
	if n == 0 {
		return nil
	}
	if _, err := s.active.Write(buf); err != nil {
		// Cut off a partial write so the next record starts cleanly; if that
		// fails too, Open's recovery skips the damage.
		if terr := s.active.Truncate(s.activeSize); terr != nil {
			s.log.Error("cannot cut off a failed spool write", "err", terr)
		}
		return fmt.Errorf("append to spool: %w", err)
	}
	switch {
	case s.opts.SyncInterval == 0:
		if err := s.active.Sync(); err != nil {
			return fmt.Errorf("sync spool: %w", err)
		}
	case s.opts.SyncInterval > 0:
		s.dirty = true
	}
	s.activeSize += int64(len(buf))

	s.mu.Lock()
	defer s.mu.Unlock()
	last := &s.segs[len(s.segs)-1]
	last.size = s.activeSize
	last.records += n
	return s.enforceBound()
}

// rotate seals the active segment and starts the next one.
func (s *Spool) rotate() error {
	if s.opts.SyncInterval > 0 && s.dirty {
		if err := s.active.Sync(); err != nil {
			return fmt.Errorf("sync spool: %w", err)
		}
		s.dirty = false
	}
	return s.createSegment(s.activeID + 1)
}

// enforceBound drops the oldest segments while the spool exceeds MaxBytes,
// never the active one. The count is persisted before the file is deleted;
// Open finishes an interrupted deletion. Called with s.mu held.
func (s *Spool) enforceBound() error {
	var total int64
	for _, g := range s.segs {
		total += g.size
	}
	for total > s.opts.MaxBytes && len(s.segs) > 1 {
		old := s.segs[0]
		lost := old.records
		if s.ack.Segment == old.id {
			lost -= s.ack.index
		}
		s.state.Dropped += uint64(max(lost, 0))
		s.state.DroppedThrough = old.id
		if err := s.saveState(); err != nil {
			return fmt.Errorf("record dropped spool segment: %w", err)
		}
		if err := os.Remove(s.path(old.id)); err != nil {
			// Windows refuses while the reader has it open; Ack retries, and
			// Open deletes it in any case (it is marked as dropped).
			s.log.Warn("cannot delete dropped spool segment yet", "segment", old.id, "err", err)
			s.orphans = append(s.orphans, old.id)
		}
		s.log.Warn("spool full, dropped oldest segment", "segment", old.id, "records", lost)
		s.segs = s.segs[1:]
		total -= old.size
		if s.ack.Segment <= old.id {
			s.ack = Position{Segment: s.segs[0].id, Offset: segHeader}
		}
	}
	return nil
}
