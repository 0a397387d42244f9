package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Options configure a Reader. The zero value is usable.
type Options struct {
	// OnError receives every problem that was skipped over: unreadable
	// chunks, checksum mismatches, corrupt records. It may be nil. It is
	// called from the goroutine that called Next or ReadChunk.
	OnError func(err error)
}

// Error describes a skipped problem; it is what Options.OnError receives.
type Error struct {
	Chunk   int   // chunk number, -1 for the file header
	Offset  int64 // file offset of the chunk or record
	Warning bool  // true: only a warning, the data was still used (checksum mismatch)
	Err     error
}

func (e *Error) Error() string {
	if e.Chunk < 0 {
		return fmt.Sprintf("evtx header: %v", e.Err)
	}
	return fmt.Sprintf("evtx chunk %d at offset %#x: %v", e.Chunk, e.Offset, e.Err)
}

// IsWarning reports whether err is an *Error for a problem that did not
// lose data (a checksum mismatch).
func IsWarning(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Warning
}

func (e *Error) Unwrap() error { return e.Err }

// Reader reads records in file order, one chunk at a time. A Reader is not
// safe for concurrent use, except ReadChunk, which may be called from many
// goroutines at once (chunks are independent).
type Reader struct {
	r      io.ReaderAt
	size   int64
	opts   Options
	header FileHeader

	nchunks int
	cur     int // next chunk to load
	recs    []*Record
	ri      int
}

// NewReader parses the file header of an .evtx file of the given size. The
// chunk count comes from the file size, not the header, so chunks the header
// does not count (dirty or recovered logs) are read too.
func NewReader(r io.ReaderAt, size int64, opts Options) (*Reader, error) {
	buf := make([]byte, 128)
	if _, err := r.ReadAt(buf, 0); err != nil {
		return nil, fmt.Errorf("read evtx header: %w", err)
	}
	h, err := parseFileHeader(buf)
	if err != nil {
		return nil, err
	}
	rd := &Reader{r: r, size: size, opts: opts, header: h}
	if size > fileHeaderSize {
		rd.nchunks = int((size - fileHeaderSize + chunkSize - 1) / chunkSize)
	}
	if !h.ChecksumOK {
		rd.report(&Error{Chunk: -1, Warning: true, Err: errors.New("file header checksum mismatch")})
	}
	return rd, nil
}

// File is an open .evtx file: a Reader plus the file to close.
type File struct {
	*Reader
	f *os.File
}

// Close closes the underlying file.
func (f *File) Close() error { return f.f.Close() }

// Open opens an .evtx file for reading. Close the returned File when done.
func Open(path string, opts Options) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	r, err := NewReader(f, st.Size(), opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &File{Reader: r, f: f}, nil
}

// Header returns the parsed file header.
func (r *Reader) Header() FileHeader { return r.header }

// Chunks returns the number of chunk slots in the file (from its size).
func (r *Reader) Chunks() int { return r.nchunks }

func (r *Reader) report(err error) {
	if r.opts.OnError != nil {
		r.opts.OnError(err)
	}
}

// Next returns the next record, or io.EOF after the last one. Damaged
// chunks and records are reported through Options.OnError and skipped.
func (r *Reader) Next() (*Record, error) {
	for r.ri >= len(r.recs) {
		if r.cur >= r.nchunks {
			return nil, io.EOF
		}
		i := r.cur
		r.cur++
		recs, err := r.ReadChunk(i)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				return nil, err // I/O error: not a damaged chunk
			}
			r.report(err)
		}
		r.recs, r.ri = recs, 0
	}
	rec := r.recs[r.ri]
	r.recs[r.ri] = nil
	r.ri++
	return rec, nil
}

// ReadChunk reads and parses chunk i (0 <= i < Chunks()) and returns its
// records. Problems inside the chunk are reported through Options.OnError;
// an *Error is returned when the whole chunk is unusable, and a plain error
// for I/O failures. An empty (all-zero) chunk returns no records and no error.
// ReadChunk is safe for concurrent use.
func (r *Reader) ReadChunk(i int) ([]*Record, error) {
	if i < 0 || i >= r.nchunks {
		return nil, fmt.Errorf("chunk %d out of range [0,%d)", i, r.nchunks)
	}
	off := int64(fileHeaderSize) + int64(i)*chunkSize
	bufp := chunkPool.Get().(*[]byte)
	data := *bufp
	n, err := r.r.ReadAt(data, off)
	if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		chunkPool.Put(bufp)
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("read chunk %d: %w", i, err)
	}
	recs, err := r.parseChunk(i, off, data[:n])
	if len(recs) == 0 {
		// Nothing refers to the buffer: reuse it (most chunk slots of a
		// freshly created log are empty).
		chunkPool.Put(bufp)
	}
	return recs, err
}

// chunkPool recycles chunk buffers that no record refers to.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

func (r *Reader) parseChunk(i int, off int64, data []byte) (recs []*Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &Error{Chunk: i, Offset: off, Err: fmt.Errorf("internal error: %v", p)}
		}
	}()
	h, err := parseChunkHeader(data)
	if err == errEmptyChunk {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Chunk: i, Offset: off, Err: err}
	}
	if !h.headerCRCValid {
		r.report(&Error{Chunk: i, Offset: off, Warning: true, Err: errors.New("chunk header checksum mismatch (data used anyway)")})
	}
	if !h.recordsCRCValid {
		r.report(&Error{Chunk: i, Offset: off, Warning: true, Err: errors.New("records checksum mismatch (data used anyway)")})
	}
	c := &chunk{index: i, data: data, hdr: h,
		names: make(map[uint32]string, 64), templates: make(map[uint32]*template, 16), tmplErr: map[uint32]error{}}
	end := int(h.freeSpaceOff)
	if end > len(data) || end < chunkHeaderSize {
		end = len(data)
	}
	pos := chunkHeaderSize
	for pos+recordHeaderLen <= end {
		if binary.LittleEndian.Uint32(data[pos:]) != 0x00002a2a {
			r.report(&Error{Chunk: i, Offset: off + int64(pos), Err: errors.New("bad record magic; rest of chunk skipped")})
			break
		}
		size := int(binary.LittleEndian.Uint32(data[pos+4:]))
		if size < recordHeaderLen+4 || pos+size > len(data) {
			r.report(&Error{Chunk: i, Offset: off + int64(pos), Err: fmt.Errorf("invalid record size %d; rest of chunk skipped", size)})
			break
		}
		rec, err := c.record(pos, size, off)
		if err != nil {
			r.report(&Error{Chunk: i, Offset: off + int64(pos), Err: err})
		} else {
			recs = append(recs, rec)
		}
		pos += size
	}
	return recs, nil
}

// record parses the record at chunk offset pos; a panic in the parser is
// turned into an error for this record only.
func (c *chunk) record(pos, size int, chunkOff int64) (rec *Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("record at %#x: internal error: %v", pos, p)
		}
	}()
	le := binary.LittleEndian
	rec = &Record{
		ID:     le.Uint64(c.data[pos+8:]),
		Time:   fileTime(le.Uint64(c.data[pos+16:])),
		Chunk:  c.index,
		Offset: chunkOff + int64(pos),
	}
	p := parser{c: c, b: c.data, pos: pos + recordHeaderLen, end: pos + size - 4}
	rec.root, err = p.fragment()
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", rec.ID, err)
	}
	return rec, nil
}

// Record is one event record. Its methods may be called from any goroutine
// once Next or ReadChunk has returned it; they recover from internal errors
// (XML returns an error, Flat adds "_error", Fields keeps the fields built so
// far) so a panic never reaches the caller. A Record
// keeps its chunk's 64 KiB buffer alive; drop records to free memory.
type Record struct {
	ID     uint64    // EventRecordID from the record header
	Time   time.Time // time written, from the record header (UTC)
	Chunk  int       // chunk number
	Offset int64     // file offset of the record

	root []node
}

// tree materialises the record: substitutions applied, templates expanded.
// The tree is only valid until release is called.
func (rec *Record) tree() (tree []xnode, release func(), err error) {
	b := builderPool.Get().(*builder)
	b.reset()
	sc := b.scratchAt(0)
	sc, err = b.build(rec.root, nil, sc, 0)
	b.scratch[0] = sc
	return sc, func() { builderPool.Put(b) }, err
}
