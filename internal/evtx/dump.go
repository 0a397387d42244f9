package evtx

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// Dump formats.
const (
	FormatXML   = "xml"
	FormatJSONL = "jsonl"
)

// DumpStats counts what Dump wrote and skipped.
type DumpStats struct {
	Records  int
	Errors   int // records or chunks skipped
	Warnings int // checksum mismatches (data used anyway)
}

// Dump writes every record of the file at path to w, as XML (records one
// after another) or as JSON lines in the flattened view (one record per line,
// keys sorted). Skipped problems go to onError (may be nil) and are counted.
func Dump(ctx context.Context, w io.Writer, path, format string, onError func(error)) (DumpStats, error) {
	var st DumpStats
	if format != FormatXML && format != FormatJSONL {
		return st, fmt.Errorf("unknown format %q (want xml or jsonl)", format)
	}
	f, err := Open(path, Options{OnError: func(err error) {
		if IsWarning(err) {
			st.Warnings++
		} else {
			st.Errors++
		}
		if onError != nil {
			onError(fmt.Errorf("%s: %w", path, err))
		}
	}})
	if err != nil {
		return st, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf []byte
	for {
		if st.Records%256 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		rec, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("%s: %w", path, err)
		}
		if format == FormatXML {
			buf, err = rec.AppendXML(buf[:0])
		} else {
			buf, err = json.Marshal(rec.Flat())
			buf = append(buf, '\n')
		}
		if err != nil {
			st.Errors++
			if onError != nil {
				onError(fmt.Errorf("%s: %w", path, err))
			}
			continue
		}
		st.Records++
		if _, err := bw.Write(buf); err != nil {
			return st, err
		}
	}
	return st, bw.Flush()
}
