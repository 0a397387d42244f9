// Package ingest turns existing Suricata and Zeek logs into medshield
// events: Suricata EVE JSON lines (alert, dns in the EVE v2 and v3 layouts,
// http, tls, flow, smb and the rest as generic events) and Zeek logs in the
// header-driven TSV format or as JSON lines (conn, dns, http, ssl, x509,
// files, weird, notice, and any other log generically). Alerts stay alerts
// (Suricata alert records, Zeek notices); everything else becomes
// event.kind=event with ECS-style fields.
//
// It does not analyse packets (see netsense) and keeps no state between
// files. Lines that cannot be parsed are counted and reported with
// file:line, and the rest of the file is still read. cmd/medshield imports
// it.
package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLine bounds one log line; longer lines are reported and skipped.
const MaxLine = 1 << 20

// Stats counts one ingestion.
type Stats struct {
	Lines, Events, Alerts, Skipped int
	Errors                         []string // first errors, "file:line: reason"
}

const maxErrors = 20

func (s *Stats) fail(name string, line int, format string, args ...any) {
	s.Skipped++
	if len(s.Errors) < maxErrors {
		s.Errors = append(s.Errors, fmt.Sprintf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}
}

// eachLine calls fn for every non-blank line with its 1-based number;
// lines longer than MaxLine are reported and skipped.
func eachLine(r io.Reader, name string, st *Stats, fn func(n int, line []byte)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	tooLong := false
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong && len(long)+len(chunk) <= MaxLine {
				long = append(long, chunk...)
			} else {
				tooLong, long = true, nil
			}
			continue
		}
		if len(chunk) > 0 || len(long) > 0 || tooLong {
			n++
			line := chunk
			if len(long) > 0 {
				line = append(long, chunk...)
			}
			switch {
			case tooLong || len(line) > MaxLine:
				st.fail(name, n, "line longer than %d bytes", MaxLine)
			case len(bytes.TrimSpace(line)) > 0:
				st.Lines++
				fn(n, bytes.TrimRight(line, "\r\n"))
			}
			long, tooLong = nil, false
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
}
