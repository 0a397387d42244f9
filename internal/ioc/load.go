package ioc

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Format is a feed format.
type Format int

// Feed formats recognised by DetectFormat.
const (
	FormatUnknown Format = iota
	FormatList           // plain list or Maltrail trail list / trails.csv
	FormatCSV            // abuse.ch-style CSV with a header
	FormatSTIX           // STIX 2.1 bundle
	FormatMISP           // MISP JSON export
)

func (f Format) String() string {
	return [...]string{"unknown", "list", "csv", "stix", "misp"}[f]
}

// Limits on untrusted feeds.
const (
	MaxLineLen  = 64 << 10  // longer lines are reported and skipped
	MaxJSONSize = 512 << 20 // JSON feeds are decoded in memory
	sniffLen    = 64 << 10
)

// Stats describes one load.
type Stats struct {
	Format     Format
	Added      int // new distinct indicators
	Duplicates int
	Skipped    int // well-formed entries of a kind we do not store
}

// LoadFile loads one feed file into s; the feed name is the file's base name.
func (s *Set) LoadFile(path string) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, fmt.Errorf("load indicators: %w", err)
	}
	defer f.Close()
	return s.Load(f, filepath.Base(path))
}

// Load reads a feed of any supported format from r into s. name labels the
// indicators' source and the error positions. Line errors come back as an
// *ErrorList after everything else has been loaded.
func (s *Set) Load(r io.Reader, name string) (Stats, error) {
	br := bufio.NewReaderSize(r, sniffLen)
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return Stats{}, fmt.Errorf("load %s: %w", name, err)
	}
	format := DetectFormat(head)
	before, dupsBefore := s.Len(), s.dups
	st := Stats{Format: format}
	var errs ErrorList
	switch format {
	case FormatList:
		err = s.loadList(br, name, &st, &errs)
	case FormatCSV:
		err = s.loadCSV(br, name, &st, &errs)
	case FormatSTIX, FormatMISP:
		data, rerr := io.ReadAll(io.LimitReader(br, MaxJSONSize+1))
		if rerr != nil {
			return st, fmt.Errorf("load %s: %w", name, rerr)
		}
		if len(data) > MaxJSONSize {
			return st, fmt.Errorf("load %s: JSON feed larger than %d bytes", name, MaxJSONSize)
		}
		if format == FormatSTIX {
			err = s.loadSTIX(data, name, &st, &errs)
		} else {
			err = s.loadMISP(data, name, &st, &errs)
		}
	default:
		return st, fmt.Errorf("load %s: unrecognised feed format", name)
	}
	st.Added, st.Duplicates = s.Len()-before, s.dups-dupsBefore
	if err != nil {
		return st, fmt.Errorf("load %s: %w", name, err)
	}
	return st, errs.err()
}

// DetectFormat decides a feed's format from its first bytes.
func DetectFormat(head []byte) Format {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) == 0 {
		return FormatList
	}
	if t[0] == '{' || t[0] == '[' {
		switch {
		case bytes.Contains(t, []byte(`"Attribute"`)) || bytes.Contains(t, []byte(`"Event"`)):
			return FormatMISP
		case bytes.Contains(t, []byte(`"objects"`)) || bytes.Contains(t, []byte(`"pattern"`)):
			return FormatSTIX
		}
		return FormatUnknown
	}
	for _, line := range bytes.Split(t, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			if isCSVHeader(string(bytes.TrimLeft(line, "# "))) {
				return FormatCSV
			}
			continue
		}
		if isCSVHeader(string(line)) {
			return FormatCSV
		}
		return FormatList
	}
	return FormatList
}

// lines calls fn for each line (without the newline) with its number; it
// reports over-long lines and skips them.
func lines(r *bufio.Reader, name string, errs *ErrorList, fn func(n int, line []byte)) error {
	n := 0
	for {
		line, err := r.ReadSlice('\n')
		n++
		if err == bufio.ErrBufferFull {
			errs.add(name, n, "line longer than %d bytes", MaxLineLen)
			for err == bufio.ErrBufferFull {
				_, err = r.ReadSlice('\n')
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			continue
		}
		if len(line) > 0 {
			fn(n, bytes.TrimRight(line, "\r\n"))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
