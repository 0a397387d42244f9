package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/internal/sqldb"
)

type backend struct {
	writer *sql.DB // one connection: every write is serialised here
	reader *sql.DB // read-only pool
	// Prepared on the writer connection once, for a full chunk and for
	// one row.
	insertChunk, insertOne *sql.Stmt
	gc                     *committer
}

// insertChunk rows go in per multi-row INSERT: per-statement costs (binding
// through database/sql, stepping, resetting) are paid once per chunk
// instead of once per event. 32 rows x 10 columns stays far below SQLite's
// limit on bound parameters.
const insertChunk = 32

func insertEventSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (id, ts, kind, severity, host_id, organization, unit, rule_id, message, doc) VALUES `)
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?)")
	}
	b.WriteString(" ON CONFLICT (id) DO NOTHING")
	return b.String()
}

func (b *backend) Read() sqldb.Querier { return querier{b.reader} }

func (b *backend) Write(ctx context.Context, fn func(q sqldb.Querier) error) error {
	tx, err := b.writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(txQuerier{querier{tx}, tx}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (b *backend) InsertEvents(ctx context.Context, q sqldb.Querier, rows []sqldb.EventRow) (int, error) {
	tq, ok := q.(txQuerier)
	if !ok {
		return 0, errors.New("insert events outside a write transaction")
	}
	var chunk, one *sql.Stmt
	defer func() {
		if chunk != nil {
			chunk.Close()
		}
		if one != nil {
			one.Close()
		}
	}()
	args := make([]any, 0, insertChunk*10)
	n := 0
	for len(rows) > 0 {
		k := min(len(rows), insertChunk)
		var stmt *sql.Stmt
		if k == insertChunk {
			if chunk == nil {
				chunk = tq.tx.StmtContext(ctx, b.insertChunk)
			}
			stmt = chunk
		} else {
			k = 1
			if one == nil {
				one = tq.tx.StmtContext(ctx, b.insertOne)
			}
			stmt = one
		}
		args = args[:0]
		for i := range rows[:k] {
			r := &rows[i]
			// doc goes in as TEXT: the JSON functions read a BLOB as JSONB.
			args = append(args, r.ID, r.TS, r.Kind, r.Severity, r.HostID, r.Organization,
				r.Unit, r.RuleID, r.Message, string(r.Doc))
		}
		res, err := stmt.ExecContext(ctx, args...)
		if err != nil {
			return 0, fmt.Errorf("insert events: %w", err)
		}
		affected, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		n += int(affected)
		rows = rows[k:]
	}
	return n, nil
}

// FieldMatch: json_each yields one row for a scalar and one per element for
// an array (keys are NULL or integers); object members (text keys) are
// excluded so that a name that resolves to an object never matches.
func (b *backend) FieldMatch(args *[]any, path []string, value string) string {
	var p strings.Builder
	p.WriteString("$")
	for _, seg := range path {
		if strings.ContainsAny(seg, `"`) {
			return "(1 = 0)" // not expressible as an SQLite JSON path
		}
		p.WriteString(`."`)
		p.WriteString(seg)
		p.WriteString(`"`)
	}
	*args = append(*args, p.String(), value)
	return `EXISTS (SELECT 1 FROM json_each(events.doc, ?) AS j
		WHERE (j.key IS NULL OR typeof(j.key) = 'integer') AND j.type NOT IN ('object', 'array')
		AND (CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END) = ?)`
}

func (b *backend) DocContains(args *[]any, needle string) string {
	*args = append(*args, needle)
	return `instr(doc, ?) > 0`
}

// TextMatch: SQLite's LIKE is case-insensitive for ASCII letters only.
func (b *backend) TextMatch(args *[]any, pattern string) string {
	*args = append(*args, pattern)
	return `message LIKE ? ESCAPE '\'`
}

func (b *backend) LockAudit() string { return "" }

func (b *backend) IsUnique(err error) bool { return isUnique(err) }

func (b *backend) Close() error {
	if b.gc != nil {
		b.gc.stop()
	}
	var errs []error
	for _, st := range []*sql.Stmt{b.insertChunk, b.insertOne} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	// Refresh the planner's statistics where they are stale (cheap; the
	// SQLite documentation recommends it before closing), and checkpoint so
	// the WAL does not linger after a clean shutdown.
	for _, pragma := range []string{"PRAGMA optimize", "PRAGMA wal_checkpoint(TRUNCATE)"} {
		if _, err := b.writer.Exec(pragma); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", pragma, err))
		}
	}
	errs = append(errs, b.reader.Close(), b.writer.Close())
	return errors.Join(errs...)
}

// conn is what *sql.DB and *sql.Tx have in common.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type querier struct{ c conn }

type txQuerier struct {
	querier
	tx *sql.Tx
}

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.c.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqldb.Rows, error) {
	rows, err := q.c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqldb.Row {
	return sqlRow{q.c.QueryRowContext(ctx, query, args...)}
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

type sqlRow struct{ r *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
