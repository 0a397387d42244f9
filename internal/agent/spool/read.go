package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Peek returns up to maxRecords of the oldest unacknowledged records, at
// most maxBytes of payload (but always at least one record if any is
// waiting, so an oversized record cannot block the queue). Peek does not
// consume: the same records come back until Ack is called with Batch.Next.
// An empty batch means the spool is drained.
func (s *Spool) Peek(maxRecords, maxBytes int) (Batch, error) {
	maxRecords = max(maxRecords, 1)
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for attempt := 0; ; attempt++ {
		b, err := s.peek(maxRecords, maxBytes)
		// A segment can vanish under us when the writer drops it because the
		// spool is full; the ack has then moved on, so read again.
		if errors.Is(err, os.ErrNotExist) && attempt < 3 {
			continue
		}
		return b, err
	}
}

func (s *Spool) peek(maxRecords, maxBytes int) (Batch, error) {
	s.mu.Lock()
	pos := s.ack
	segs := append([]segment(nil), s.segs...)
	s.mu.Unlock()

	b := Batch{Next: pos}
	for _, g := range segs {
		if g.id < pos.Segment {
			continue
		}
		if g.id > pos.Segment {
			pos = Position{Segment: g.id, Offset: segHeader}
		}
		if pos.Offset >= g.size {
			continue
		}
		f, err := os.Open(s.path(g.id))
		if err != nil {
			return Batch{}, fmt.Errorf("read spool: %w", err)
		}
		sc := s.scan
		sc.reset(io.NewSectionReader(f, pos.Offset, g.size-pos.Offset), pos.Offset)
		full := false
		for sc.next() {
			if len(b.Records) >= maxRecords || (len(b.Records) > 0 && b.Bytes+len(sc.rec) > maxBytes) {
				full = true
				break
			}
			b.Records = append(b.Records, append([]byte(nil), sc.rec...))
			b.Bytes += len(sc.rec)
			pos.Offset = sc.recOff + int64(recHeader+len(sc.rec))
			pos.index++
		}
		serr := sc.err
		sc.reset(nil, 0) // drop the reference to f
		f.Close()
		if serr != nil {
			return Batch{}, fmt.Errorf("read spool segment %d: %w", g.id, serr)
		}
		if !full {
			// Damaged bytes at the end of a sealed segment (counted at Open)
			// must not hold the position back.
			pos.Offset = g.size
		}
		b.Next = pos
		if full {
			break
		}
	}
	return b, nil
}

// Ack durably marks everything before pos consumed and deletes segments that
// are fully consumed. Positions older than the current one are ignored.
func (s *Spool) Ack(pos Position) error {
	s.rmu.Lock()
	defer s.rmu.Unlock()

	s.mu.Lock()
	if len(s.segs) == 0 || pos.Segment < s.segs[0].id ||
		(pos.Segment == s.ack.Segment && pos.Offset <= s.ack.Offset) || pos.Segment < s.ack.Segment {
		s.mu.Unlock()
		return nil
	}
	// A position at the end of a sealed segment moves to the start of the
	// next one, so the sealed segment can go.
	for i, g := range s.segs[:len(s.segs)-1] {
		if g.id == pos.Segment && pos.Offset >= g.size {
			pos = Position{Segment: s.segs[i+1].id, Offset: segHeader}
		}
	}
	s.mu.Unlock()

	if err := writeAtomic(filepath.Join(s.dir, ackFile), ackRecord{Segment: pos.Segment, Offset: pos.Offset}, s.opts.SyncInterval >= 0); err != nil {
		return fmt.Errorf("ack spool: %w", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if pos.Segment < s.segs[0].id {
		return nil // the writer dropped past it meanwhile
	}
	s.ack = pos
	var keep []segment
	for _, g := range s.segs {
		if g.id < pos.Segment {
			if err := os.Remove(s.path(g.id)); err != nil && !os.IsNotExist(err) {
				// Open deletes segments before the ack, so this only delays.
				s.log.Warn("cannot delete acknowledged spool segment", "segment", g.id, "err", err)
			}
			continue
		}
		keep = append(keep, g)
	}
	s.segs = keep
	s.orphans = slices.DeleteFunc(s.orphans, func(id uint64) bool {
		err := os.Remove(s.path(id))
		return err == nil || os.IsNotExist(err)
	})
	return nil
}

// Reject quarantines a batch the server refused (a poison batch) and
// acknowledges it, so it no longer blocks the queue. The records are kept,
// one per line after a JSON header line, in rejected.ndjson in the spool
// directory; beyond Options.RejectMaxBytes that file becomes
// rejected.1.ndjson, replacing the previous generation.
func (s *Spool) Reject(b Batch, reason string) error {
	if err := s.quarantine(b, reason); err != nil {
		return err
	}
	s.mu.Lock()
	s.state.Rejected += uint64(len(b.Records))
	err := s.saveState()
	s.mu.Unlock()
	if err != nil {
		s.log.Error("cannot persist reject counter", "err", err)
	}
	return s.Ack(b.Next)
}

func (s *Spool) quarantine(b Batch, reason string) error {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	path := filepath.Join(s.dir, "rejected.ndjson")
	head, _ := json.Marshal(struct {
		Time    time.Time `json:"rejected_at"`
		Reason  string    `json:"reason"`
		Records int       `json:"records"`
	}{time.Now().UTC(), reason, len(b.Records)})
	size := len(head) + 1
	for _, r := range b.Records {
		size += len(r) + 1
	}
	if st, err := os.Stat(path); err == nil && st.Size()+int64(size) > s.opts.RejectMaxBytes {
		if err := os.Rename(path, filepath.Join(s.dir, "rejected.1.ndjson")); err != nil {
			return fmt.Errorf("rotate reject file: %w", err)
		}
	}
	buf := make([]byte, 0, size)
	buf = append(append(buf, head...), '\n')
	for _, r := range b.Records {
		if int64(len(buf)+len(r)+1) > s.opts.RejectMaxBytes {
			break // keep the header and what fits: the file stays bounded
		}
		buf = append(append(buf, r...), '\n')
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open reject file: %w", err)
	}
	_, werr := f.Write(buf)
	serr := f.Sync()
	if cerr := f.Close(); werr == nil && serr == nil {
		werr = cerr
	}
	if werr != nil || serr != nil {
		return fmt.Errorf("write reject file: %v %v", werr, serr)
	}
	return nil
}
