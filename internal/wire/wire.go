// Package wire is the batch format shared by the agent (and sensor) and the
// server's ingest API: a batch is gzip-compressed JSON lines, one
// internal/event.Event per line, and the server answers with an Ack.
//
// Encoding is for trusted callers (the agent). Decoding is for untrusted input
// and enforces the limits in Limits before and while decompressing, so that a
// gzip bomb, an endless line or a batch of a million events costs at most the
// configured bytes. Decoding is all or nothing: a batch with one bad line is
// rejected whole, with a typed *Error the server maps to an HTTP status and a
// reason string.
//
// Strictness: every line must be exactly one JSON object whose keys are the
// known top-level event fields (and the known keys of the nested process,
// file, source, destination, dns, url, user and rule objects); unknown keys
// are rejected. Arbitrary keys are allowed only inside "fields" and "labels",
// which exist to carry source-specific data. Each event must pass
// event.Validate. Blank lines are ignored; a final line without "\n" is
// accepted.
//
// The package does not do transport (HTTP, TLS) or storage; the agent uploader
// and the server ingest handler import it. It imports only internal/event.
package wire

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"

	"github.com/medshield/medshield/internal/event"
)

// HTTP header values for a batch request.
const (
	ContentType     = "application/x-ndjson"
	ContentEncoding = "gzip"
)

// Ack is the server's JSON answer to an accepted batch. Accepted counts
// events newly stored; Duplicates counts events whose event.id was already
// stored (or repeated in the batch) and were ignored. Accepted+Duplicates
// equals the number of events in the batch.
type Ack struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}

// Rejection is the server's JSON answer to a refused batch (4xx), so that the
// agent can log why its batch was quarantined.
type Rejection struct {
	Reason Reason `json:"reason"`
	Error  string `json:"error"`
	Line   int    `json:"line,omitempty"`
}

// Encode returns events as one gzip-compressed JSON-lines batch.
func Encode(events []event.Event) ([]byte, error) {
	lines := make([][]byte, 0, len(events))
	for i := range events {
		b, err := json.Marshal(&events[i])
		if err != nil {
			return nil, fmt.Errorf("encode event %d: %w", i, err)
		}
		lines = append(lines, b)
	}
	return EncodeLines(lines)
}

// EncodeLines compresses already-marshalled events (for example records read
// back from the agent spool) into a batch. Each line must be one compact JSON
// object without a newline, as json.Marshal produces; EncodeLines checks
// only the newline, the server checks the rest.
func EncodeLines(lines [][]byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := WriteLines(&buf, lines); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteLines writes a gzip-compressed batch of marshalled events to w.
// BestSpeed is used because agents run on clinical workstations where CPU
// matters more than a few percent of bandwidth (see docs/agent-pipeline.md).
func WriteLines(w io.Writer, lines [][]byte) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("gzip writer: %w", err)
	}
	nl := []byte{'\n'}
	for i, l := range lines {
		if bytes.IndexByte(l, '\n') >= 0 {
			return fmt.Errorf("encode line %d: contains a newline", i)
		}
		if _, err := zw.Write(l); err != nil {
			return fmt.Errorf("compress line %d: %w", i, err)
		}
		if _, err := zw.Write(nl); err != nil {
			return fmt.Errorf("compress line %d: %w", i, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish gzip: %w", err)
	}
	return nil
}
