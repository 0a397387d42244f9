package sqldb

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
)

// Query limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// ErrBadCursor is returned for a cursor that this store did not produce.
var ErrBadCursor = errors.New("invalid cursor")

// EventRow is an event ready for insertion: indexed columns plus the JSON
// document.
type EventRow struct {
	ID           string
	TS           int64
	Kind         string
	Severity     int
	HostID       string
	Organization string
	Unit         string
	RuleID       string
	Message      string
	Doc          []byte
}

// EventRows converts events for insertion. Marshalling happens here, outside the
// write transaction, so the serialised part does only database work.
func EventRows(events []event.Event) ([]EventRow, error) {
	rows := make([]EventRow, len(events))
	for i := range events {
		e := &events[i]
		doc, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode event %q: %w", e.ID, err)
		}
		doc = cleanDoc(doc)
		r := EventRow{
			ID: Text(e.ID), TS: NS(e.Timestamp), Kind: Text(e.Kind), Severity: e.Severity,
			HostID: Text(e.HostID), Organization: Text(e.Organization), Unit: Text(e.Unit),
			Message: Text(e.Message), Doc: doc,
		}
		if e.Rule != nil {
			r.RuleID = Text(e.Rule.ID)
		}
		rows[i] = r
	}
	return rows, nil
}

// RowAppender is implemented by back ends that commit event batches their
// own way (SQLite groups concurrent batches into one transaction).
type RowAppender interface {
	// AppendRows commits rows atomically and returns how many were new.
	AppendRows(ctx context.Context, rows []EventRow) (int, error)
}

// AppendEvents stores a batch in one transaction.
func (s *Store) AppendEvents(ctx context.Context, events []event.Event) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	rows, err := EventRows(events)
	if err != nil {
		return 0, err
	}
	var n int
	if ra, ok := s.b.(RowAppender); ok {
		n, err = ra.AppendRows(ctx, rows)
	} else {
		err = s.b.Write(ctx, func(q Querier) error {
			var err error
			n, err = s.b.InsertEvents(ctx, q, rows)
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("append %d events: %w", len(events), err)
	}
	return n, nil
}

// where builds the WHERE clause (without the cursor) for q.
func (s *Store) where(q store.EventQuery, args *[]any) string {
	var conds []string
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		*args = append(*args, a...)
	}
	if !q.From.IsZero() {
		add("ts >= ?", NS(q.From))
	}
	if !q.To.IsZero() {
		add("ts < ?", NS(q.To))
	}
	if q.HostID != "" {
		add("host_id = ?", Text(q.HostID))
	}
	if q.Organization != "" {
		add("organization = ?", Text(q.Organization))
	}
	if q.Unit != "" {
		add("unit = ?", Text(q.Unit))
	}
	if q.Kind != "" {
		add("kind = ?", Text(q.Kind))
	}
	if q.MinSeverity > 0 {
		add("severity >= ?", q.MinSeverity)
	}
	if q.RuleID != "" {
		add("rule_id = ?", Text(q.RuleID))
	}
	if q.Text != "" {
		conds = append(conds, s.b.TextMatch(args, "%"+likeEscape(Text(q.Text))+"%"))
	}
	// Sorted so the SQL text (and plan cache) is stable for the same query.
	names := make([]string, 0, len(q.Fields))
	for name := range q.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		paths := FieldPaths(name)
		// Stored names and values are valid UTF-8 without NUL; PostgreSQL
		// would reject such a parameter outright.
		if len(paths) == 0 || Text(name) != name || Text(q.Fields[name]) != q.Fields[name] {
			conds = append(conds, "1 = 0")
			continue
		}
		value := q.Fields[name]
		// Parsing JSON costs tens of microseconds per row; a substring test
		// rules most rows out first. (Placeholders are bound in text order,
		// so the prefilter's argument goes first.)
		var pre string
		if needle := docNeedle(value); needle != "" {
			pre = s.b.DocContains(args, needle) + " AND "
		}
		alts := make([]string, len(paths))
		for i, p := range paths {
			alts[i] = s.b.FieldMatch(args, p, value)
		}
		conds = append(conds, "("+pre+"("+strings.Join(alts, " OR ")+"))")
	}
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// docNeedle returns text that the stored document must contain when some
// field in it matches value: value as encoding/json writes it inside a
// string. A matching string is that text in quotes; a matching number or
// boolean is value itself, which has nothing to escape. U+FFFD is the
// exception: the document holds it either as itself or as the escape
// \ufffd (written for invalid UTF-8 and NUL), so the needle is the longest
// run of the value without it (escaping is per character, so a run's
// encoding is a substring of the whole's).
func docNeedle(value string) string {
	longest := ""
	for _, part := range strings.Split(value, "\uFFFD") {
		if len(part) > len(longest) {
			longest = part
		}
	}
	if longest == "" {
		return ""
	}
	b, err := json.Marshal(longest)
	if err != nil || len(b) < 2 {
		return ""
	}
	return string(b[1 : len(b)-1])
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// QueryEvents returns one page, newest first (ties in time by insertion
// order, newest first).
func (s *Store) QueryEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		limit = MaxLimit
	}
	var args []any
	where := s.where(q, &args)
	if q.Cursor != "" {
		ts, seq, err := decodeCursor(q.Cursor)
		if err != nil {
			return store.EventPage{}, err
		}
		// A row-value comparison is one index range in both dialects.
		cond := "(ts, seq) < (?, ?)"
		args = append(args, ts, seq)
		if where == "" {
			where = " WHERE " + cond
		} else {
			where += " AND " + cond
		}
	}
	args = append(args, limit+1)
	rows, err := s.b.Read().Query(ctx, "SELECT seq, ts, doc FROM events"+where+" ORDER BY ts DESC, seq DESC LIMIT ?", args...)
	if err != nil {
		return store.EventPage{}, fmt.Errorf("query events: %w", err)
	}
	defer rows.Close()
	var page store.EventPage
	var lastTS, lastSeq int64
	for rows.Next() {
		if len(page.Events) == limit {
			page.Next = encodeCursor(lastTS, lastSeq)
			break
		}
		var doc []byte
		if err := rows.Scan(&lastSeq, &lastTS, &doc); err != nil {
			return store.EventPage{}, fmt.Errorf("query events: %w", err)
		}
		var e event.Event
		if err := json.Unmarshal(doc, &e); err != nil {
			return store.EventPage{}, fmt.Errorf("decode stored event %d: %w", lastSeq, err)
		}
		page.Events = append(page.Events, e)
	}
	if err := rows.Err(); err != nil {
		return store.EventPage{}, fmt.Errorf("query events: %w", err)
	}
	return page, nil
}

// CountEvents counts events matching q.
func (s *Store) CountEvents(ctx context.Context, q store.EventQuery) (int64, error) {
	var args []any
	where := s.where(q, &args)
	var n int64
	if err := s.b.Read().QueryRow(ctx, "SELECT COUNT(*) FROM events"+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// deleteChunk bounds one retention transaction so that ingest (which shares
// SQLite's single writer) is never blocked for long.
const deleteChunk = 5000

// DeleteEventsBefore removes events of a kind older than t, in chunks.
func (s *Store) DeleteEventsBefore(ctx context.Context, kind string, t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	var total int64
	for {
		var n int64
		err := s.b.Write(ctx, func(q Querier) error {
			var err error
			n, err = q.Exec(ctx, `DELETE FROM events WHERE seq IN (
				SELECT seq FROM events WHERE kind = ? AND ts < ? LIMIT ?)`, Text(kind), NS(t), deleteChunk)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("delete %s events before %s: %w", kind, t.Format(time.RFC3339), err)
		}
		total += n
		if n < deleteChunk {
			return total, nil
		}
	}
}

func encodeCursor(ts, seq int64) string {
	var b [17]byte
	b[0] = 1 // version
	binary.BigEndian.PutUint64(b[1:], uint64(ts))
	binary.BigEndian.PutUint64(b[9:], uint64(seq))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(c string) (ts, seq int64, err error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil || len(b) != 17 || b[0] != 1 {
		return 0, 0, fmt.Errorf("%w: %q", ErrBadCursor, truncate(c, 40))
	}
	ts, seq = int64(binary.BigEndian.Uint64(b[1:])), int64(binary.BigEndian.Uint64(b[9:]))
	if encodeCursor(ts, seq) != c { // base64 decoders skip newlines: insist on the canonical form
		return 0, 0, fmt.Errorf("%w: %q", ErrBadCursor, truncate(c, 40))
	}
	return ts, seq, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
