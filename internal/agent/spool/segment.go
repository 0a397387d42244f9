package spool

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// On-disk format (little endian):
//
//	segment = "MSSPOOL1" record*
//	record  = magic(0xA5 0x5A) length(uint32) crc(uint32) payload(length bytes)
//
// crc is CRC-32C over the four length bytes followed by the payload, so a
// damaged length is detected too. The two magic bytes let the reader find the
// next record after a damaged one without trying every byte offset; zero-filled
// blocks (what ext4 may leave after a power cut) never look like a record.
const (
	segMagic     = "MSSPOOL1"
	segHeader    = int64(len(segMagic))
	recMagic0    = 0xA5
	recMagic1    = 0x5A
	recHeader    = 10
	segPrefix    = "seg-"
	segSuffix    = ".log"
	segNameWidth = 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func segName(id uint64) string {
	return fmt.Sprintf("%s%0*d%s", segPrefix, segNameWidth, id, segSuffix)
}

func parseSegName(name string) (uint64, bool) {
	if !strings.HasPrefix(name, segPrefix) || !strings.HasSuffix(name, segSuffix) {
		return 0, false
	}
	digits := name[len(segPrefix) : len(name)-len(segSuffix)]
	if len(digits) != segNameWidth {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	return id, err == nil
}

// appendRecord appends the framed payload to dst.
func appendRecord(dst, payload []byte) []byte {
	var h [recHeader]byte
	h[0], h[1] = recMagic0, recMagic1
	binary.LittleEndian.PutUint32(h[2:6], uint32(len(payload)))
	crc := crc32.Update(0, castagnoli, h[2:6])
	crc = crc32.Update(crc, castagnoli, payload)
	binary.LittleEndian.PutUint32(h[6:10], crc)
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// scanner reads records from a segment body, skipping damaged regions. It
// never allocates more than its buffer (maxRecord+recHeader bytes) and makes
// progress on every call, so arbitrary input cannot make it loop.
type scanner struct {
	br        *bufio.Reader
	maxRecord int
	off       int64 // file offset of the next unread byte
	lastGood  int64 // file offset just past the last valid record
	rec       []byte
	recOff    int64
	skipped   int   // damaged regions followed by a valid record, from countFrom on
	countFrom int64 // damaged regions starting before this offset were counted before
	tail      bool  // input ended inside a damaged or partial record
	corrupt   bool  // currently inside a damaged region
	badStart  int64 // where the current damaged region starts
	err       error
}

func newScanner(maxRecord int) *scanner {
	return &scanner{br: bufio.NewReaderSize(nil, maxRecord+recHeader), maxRecord: maxRecord}
}

// reset starts scanning r, whose first byte is at file offset off.
func (s *scanner) reset(r io.Reader, off int64) {
	s.br.Reset(r)
	s.off, s.lastGood, s.recOff = off, off, off
	s.rec, s.skipped, s.countFrom, s.tail, s.corrupt, s.err = nil, 0, 0, false, false, nil
}

// next advances to the next valid record; s.rec is valid until the next call.
func (s *scanner) next() bool {
	if s.rec != nil {
		// Discard the previous record only now, because s.rec aliases the buffer.
		n := recHeader + len(s.rec)
		if _, err := s.br.Discard(n); err != nil {
			s.err = err
			return false
		}
		s.off += int64(n)
		s.rec = nil
	}
	for {
		h, err := s.br.Peek(recHeader)
		if len(h) == 0 && errors.Is(err, io.EOF) {
			s.tail = s.corrupt
			return false
		}
		if err != nil && !errors.Is(err, io.EOF) {
			s.err = err
			return false
		}
		if len(h) == recHeader && h[0] == recMagic0 && h[1] == recMagic1 {
			n := int(binary.LittleEndian.Uint32(h[2:6]))
			if n > 0 && n <= s.maxRecord {
				full, err := s.br.Peek(recHeader + n)
				if err != nil && !errors.Is(err, io.EOF) {
					s.err = err
					return false
				}
				if len(full) == recHeader+n {
					crc := crc32.Update(0, castagnoli, full[2:6])
					crc = crc32.Update(crc, castagnoli, full[recHeader:])
					if crc == binary.LittleEndian.Uint32(full[6:10]) {
						if s.corrupt && s.badStart >= s.countFrom {
							s.skipped++
						}
						s.corrupt = false
						s.rec = full[recHeader:]
						s.recOff = s.off
						s.lastGood = s.off + int64(len(full))
						return true
					}
				}
			}
		}
		// Damaged or partial: skip at least one byte, then up to the next
		// candidate magic byte among those already buffered.
		if !s.corrupt {
			s.corrupt, s.badStart = true, s.off
		}
		skip := 1
		if buf, _ := s.br.Peek(s.br.Buffered()); len(buf) > 1 {
			if i := bytes.IndexByte(buf[1:], recMagic0); i >= 0 {
				skip = i + 1
			} else {
				skip = len(buf)
			}
		}
		if _, err := s.br.Discard(skip); err != nil {
			s.err = err
			return false
		}
		s.off += int64(skip)
	}
}
