package wire

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/medshield/medshield/internal/event"
)

// Limits bound what Decode accepts. A zero field takes its default from
// DefaultLimits, so Limits{} is a safe configuration.
type Limits struct {
	MaxBody         int64 // compressed request body, bytes
	MaxDecompressed int64 // decompressed batch, bytes
	// MaxRatio bounds decompressed/compressed size. It applies only beyond
	// RatioFloor decompressed bytes, because tiny bodies compress poorly or
	// extremely well without being an attack.
	MaxRatio   int64
	RatioFloor int64
	MaxEvents  int // events per batch
	MaxLine    int // bytes per JSON line (one event)
	MaxFields  int // entries in an event's "fields" map
}

// DefaultLimits are sized for agent batches of up to a few thousand events
// (the uploader sends at most 1 MiB of events per batch by default) with a
// wide margin: real JSON-lines batches compress 5-20x (docs/agent-pipeline.md),
// a gzip bomb about 1000x.
func DefaultLimits() Limits {
	return Limits{
		MaxBody:         8 << 20,
		MaxDecompressed: 64 << 20,
		MaxRatio:        100,
		RatioFloor:      1 << 20,
		MaxEvents:       10000,
		MaxLine:         1 << 20,
		MaxFields:       512,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBody <= 0 {
		l.MaxBody = d.MaxBody
	}
	if l.MaxDecompressed <= 0 {
		l.MaxDecompressed = d.MaxDecompressed
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.RatioFloor <= 0 {
		l.RatioFloor = d.RatioFloor
	}
	if l.MaxEvents <= 0 {
		l.MaxEvents = d.MaxEvents
	}
	if l.MaxLine <= 0 {
		l.MaxLine = d.MaxLine
	}
	if l.MaxFields <= 0 {
		l.MaxFields = d.MaxFields
	}
	return l
}

// Reason classifies why a batch was refused; it is the "reason" of a
// Rejection and stable for clients and dashboards.
type Reason string

// Reasons for refusing a batch.
const (
	ReasonBodyTooLarge         Reason = "body_too_large"
	ReasonDecompressedTooLarge Reason = "decompressed_too_large"
	ReasonRatio                Reason = "compression_ratio"
	ReasonTooManyEvents        Reason = "too_many_events"
	ReasonLineTooLong          Reason = "line_too_long"
	ReasonEmpty                Reason = "empty_batch"
	ReasonBadGzip              Reason = "bad_gzip"
	ReasonBadJSON              Reason = "bad_json"
	ReasonInvalidEvent         Reason = "invalid_event"
	ReasonRead                 Reason = "read_body"
)

// Error is a refused batch. Line is the 1-based line of the decompressed
// batch at fault, or 0 when the fault is not tied to a line.
type Error struct {
	Reason Reason
	Line   int
	Err    error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("batch refused (%s) at line %d: %v", e.Reason, e.Line, e.Err)
	}
	return fmt.Sprintf("batch refused (%s): %v", e.Reason, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status the server answers with: 413 for size limits
// (the client may retry with smaller batches), 400 otherwise.
func (e *Error) HTTPStatus() int {
	switch e.Reason {
	case ReasonBodyTooLarge, ReasonDecompressedTooLarge, ReasonTooManyEvents, ReasonLineTooLong:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// Rejection returns the JSON body for the refusal.
func (e *Error) Rejection() Rejection {
	return Rejection{Reason: e.Reason, Error: e.Err.Error(), Line: e.Line}
}

func refuse(r Reason, line int, format string, args ...any) *Error {
	return &Error{Reason: r, Line: line, Err: fmt.Errorf(format, args...)}
}

// Decode reads one compressed batch from r (at most lim.MaxBody bytes are
// read) and returns its events, or a *Error and no events.
func Decode(r io.Reader, lim Limits) ([]event.Event, error) {
	lim = lim.withDefaults()
	body, err := io.ReadAll(io.LimitReader(r, lim.MaxBody+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, refuse(ReasonBodyTooLarge, 0, "body exceeds %d bytes", mbe.Limit)
		}
		return nil, &Error{Reason: ReasonRead, Err: fmt.Errorf("read body: %w", err)}
	}
	return DecodeBytes(body, lim)
}

// DecodeBytes is Decode for a body already in memory.
func DecodeBytes(body []byte, lim Limits) ([]event.Event, error) {
	lim = lim.withDefaults()
	if int64(len(body)) > lim.MaxBody {
		return nil, refuse(ReasonBodyTooLarge, 0, "body exceeds %d bytes", lim.MaxBody)
	}
	if len(body) == 0 {
		return nil, refuse(ReasonEmpty, 0, "empty body")
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, refuse(ReasonBadGzip, 0, "%v", err)
	}
	budget := max(lim.MaxRatio*int64(len(body)), lim.RatioFloor)
	lr := &limitReader{r: zr, max: lim.MaxDecompressed, ratioMax: budget, compressed: len(body)}
	br := bufio.NewReaderSize(lr, 64<<10)

	var events []event.Event
	var line []byte
	for n := 1; ; n++ {
		var done bool
		line, done, err = readLine(br, line[:0], lim.MaxLine)
		if err != nil {
			var we *Error
			if errors.As(err, &we) {
				if we.Line == 0 && we.Reason == ReasonLineTooLong {
					we.Line = n
				}
				return nil, we
			}
			return nil, &Error{Reason: ReasonBadGzip, Err: fmt.Errorf("inflate: %w", err)}
		}
		if len(bytes.TrimSpace(line)) > 0 {
			if len(events) >= lim.MaxEvents {
				return nil, refuse(ReasonTooManyEvents, n, "more than %d events", lim.MaxEvents)
			}
			var ev event.Event
			if err := decodeLine(line, &ev, lim); err != nil {
				err.Line = n
				return nil, err
			}
			events = append(events, ev)
		}
		if done {
			break
		}
	}
	if len(events) == 0 {
		return nil, refuse(ReasonEmpty, 0, "no events in batch")
	}
	return events, nil
}

// readLine appends the next line (without "\n") to buf. done reports the
// end of the input.
func readLine(br *bufio.Reader, buf []byte, maxLine int) (line []byte, done bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		buf = append(buf, frag...)
		content := len(buf)
		if err == nil {
			content-- // the "\n"
		}
		if content > maxLine {
			return buf, false, refuse(ReasonLineTooLong, 0, "line longer than %d bytes", maxLine)
		}
		switch err {
		case nil:
			return buf[:len(buf)-1], false, nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			return buf, true, nil
		default:
			return buf, false, err
		}
	}
}

func decodeLine(line []byte, ev *event.Event, lim Limits) *Error {
	trimmed := bytes.TrimLeft(line, " \t\r")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return refuse(ReasonBadJSON, 0, "line is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ev); err != nil {
		return refuse(ReasonBadJSON, 0, "%v", err)
	}
	if rest := bytes.TrimSpace(trimmed[dec.InputOffset():]); len(rest) > 0 {
		return refuse(ReasonBadJSON, 0, "trailing data after the JSON object")
	}
	if err := ev.Validate(); err != nil {
		return refuse(ReasonInvalidEvent, 0, "%w", err)
	}
	if len(ev.Fields) > lim.MaxFields {
		return refuse(ReasonInvalidEvent, 0, "%d entries in fields (max %d)", len(ev.Fields), lim.MaxFields)
	}
	for k, v := range ev.Labels {
		if len(k)+len(v) > event.MaxFieldLen {
			return refuse(ReasonInvalidEvent, 0, "label %.40q too large", k)
		}
	}
	for k, v := range ev.Fields {
		if s, ok := v.(string); ok && len(k)+len(s) > event.MaxFieldLen {
			return refuse(ReasonInvalidEvent, 0, "field %.40q too large", k)
		}
	}
	return nil
}

// limitReader enforces the decompressed-size and ratio limits while the
// batch is inflated, so a bomb is stopped after at most the budget.
type limitReader struct {
	r          io.Reader
	n          int64
	max        int64
	ratioMax   int64
	compressed int
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return 0, refuse(ReasonDecompressedTooLarge, 0, "decompressed batch exceeds %d bytes", l.max)
	}
	if l.n > l.ratioMax {
		return 0, refuse(ReasonRatio, 0, "decompressed more than %d bytes from %d compressed", l.ratioMax, l.compressed)
	}
	return n, err
}
