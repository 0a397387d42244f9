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
	insert *sql.Stmt
}

const insertEventSQL = `INSERT INTO events (id, ts, kind, severity, host_id, organization, unit, rule_id, message, doc)
	VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING`

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
	stmt := tq.tx.StmtContext(ctx, b.insert)
	defer stmt.Close()
	n := 0
	for i := range rows {
		r := &rows[i]
		res, err := stmt.ExecContext(ctx, r.ID, r.TS, r.Kind, r.Severity, r.HostID, r.Organization,
			r.Unit, r.RuleID, r.Message, string(r.Doc))
		if err != nil {
			return 0, fmt.Errorf("insert event %q: %w", r.ID, err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		n += int(k)
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
	var errs []error
	if b.insert != nil {
		errs = append(errs, b.insert.Close())
	}
	// Checkpoint so the WAL does not linger after a clean shutdown.
	if _, err := b.writer.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		errs = append(errs, err)
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
