// Package postgres is medshield's store for larger sites: store.Store on
// PostgreSQL through pgx (pgxpool), selected by a postgres:// DSN.
//
// Event batches go in with one INSERT ... SELECT FROM unnest(arrays) ON
// CONFLICT DO NOTHING per batch (one round trip, exact inserted count,
// duplicates ignored). Serialisation that SQLite gets from its single writer
// is explicit here: the audit append locks the audit table, token use and
// command delivery are single conditional UPDATEs, and migrations hold an
// advisory lock so that several servers can start at once.
//
// It does not do retention on its own (see store/retention). The server and
// the command-line tools import it, usually through store/dsn.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/internal/sqldb"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is an arbitrary advisory-lock key for schema changes.
const migrationLock = `SELECT pg_advisory_xact_lock(7262001)`

// Options tune the store; the zero value is the default.
type Options struct {
	// Schema, when set, is created if missing and used as the search path
	// (tests use a fresh schema each).
	Schema string
	// MaxConns bounds the pool (default: pgxpool's, max(4, NumCPU)).
	MaxConns int32
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Store is the PostgreSQL store.
type Store struct {
	*sqldb.Store
	pool *pgxpool.Pool
}

// Open connects to dsn and applies pending migrations.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Schema != "" {
		if !schemaName.MatchString(opts.Schema) {
			return nil, fmt.Errorf("open postgres: bad schema name %q", opts.Schema)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if opts.Schema != "" {
		if _, err := pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+opts.Schema); err != nil {
			pool.Close()
			return nil, fmt.Errorf("open postgres: create schema: %w", err)
		}
	}
	b := &backend{pool: pool}
	ms, err := sqldb.LoadMigrations(migrationFS, "migrations")
	if err == nil {
		_, err = sqldb.Migrate(ctx, b, ms, migrationLock)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return &Store{Store: sqldb.New(b), pool: pool}, nil
}

// SchemaVersion returns the applied schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

type backend struct {
	pool *pgxpool.Pool
}

func (b *backend) Read() sqldb.Querier { return querier{b.pool} }

// Write runs fn in a transaction, retrying (fn must be repeatable) when
// PostgreSQL aborts it for a deadlock or a serialisation failure: two
// uploads that share event ids in different orders wait on each other's
// unique-index entries, and one of them is chosen as the victim.
func (b *backend) Write(ctx context.Context, fn func(q sqldb.Querier) error) error {
	const attempts = 10
	for i := 1; ; i++ {
		err := b.writeOnce(ctx, fn)
		if err == nil || i == attempts || !retryable(err) {
			return err
		}
		// Jitter so that the two victims do not collide again.
		select {
		case <-time.After(time.Duration(i) * time.Duration(1+mrand.IntN(20)) * time.Millisecond):
		case <-ctx.Done():
			return err
		}
	}
}

func (b *backend) writeOnce(ctx context.Context, fn func(q sqldb.Querier) error) error {
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(querier{tx}); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable: deadlock_detected, serialization_failure.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// insertEvents inserts a whole batch in one statement from parallel
// arrays. Rows come out of unnest in array order, so seq follows the batch
// order like SQLite's rowid does.
const insertEvents = `INSERT INTO events (id, ts, kind, severity, host_id, organization, unit, rule_id, message, doc)
	SELECT id, ts, kind, severity, host_id, organization, unit, rule_id, message, doc::json
	FROM unnest(?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
		AS u(id, ts, kind, severity, host_id, organization, unit, rule_id, message, doc)
	ON CONFLICT (id) DO NOTHING`

func (b *backend) InsertEvents(ctx context.Context, q sqldb.Querier, rows []sqldb.EventRow) (int, error) {
	n := len(rows)
	ids, kinds, hosts, orgs, units, rules, msgs, docs :=
		make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ts, sev := make([]int64, n), make([]int64, n)
	for i := range rows {
		r := &rows[i]
		ids[i], ts[i], kinds[i], sev[i] = r.ID, r.TS, r.Kind, int64(r.Severity)
		hosts[i], orgs[i], units[i], rules[i], msgs[i], docs[i] = r.HostID, r.Organization, r.Unit, r.RuleID, r.Message, string(r.Doc)
	}
	k, err := q.Exec(ctx, insertEvents, ids, ts, kinds, sev, hosts, orgs, units, rules, msgs, docs)
	if err != nil {
		return 0, fmt.Errorf("insert events: %w", err)
	}
	return int(k), nil
}

// FieldMatch: arrays match on any element, scalars are wrapped in a
// one-element array; json_array_elements_text renders numbers and booleans
// as their JSON text, objects never equal a plain value.
func (b *backend) FieldMatch(args *[]any, path []string, value string) string {
	*args = append(*args, path, path, path, value)
	return `EXISTS (SELECT 1 FROM json_array_elements_text(CASE json_typeof(doc #> ?::text[])
		WHEN 'array' THEN doc #> ?::text[] ELSE json_build_array(doc #> ?::text[]) END) AS v(x)
		WHERE v.x = ?)`
}

func (b *backend) DocContains(args *[]any, needle string) string {
	*args = append(*args, needle)
	return `strpos(doc::text, ?) > 0`
}

func (b *backend) TextMatch(args *[]any, pattern string) string {
	*args = append(*args, pattern)
	return `message ILIKE ? ESCAPE '\'`
}

// LockAudit blocks other audit appenders (not readers) until commit.
func (b *backend) LockAudit() string { return `LOCK TABLE audit IN EXCLUSIVE MODE` }

func (b *backend) IsUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func (b *backend) Close() error {
	b.pool.Close()
	return nil
}

// conn is what *pgxpool.Pool and pgx.Tx have in common.
type conn interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type querier struct{ c conn }

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.c.Exec(ctx, rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqldb.Rows, error) {
	return q.c.Query(ctx, rebind(query), args...)
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqldb.Row {
	return row{q.c.QueryRow(ctx, rebind(query), args...)}
}

type row struct{ r pgx.Row }

func (r row) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// rebind turns ? placeholders into $1, $2, ... outside quoted strings and
// identifiers (the shared SQL never uses PostgreSQL's ? JSON operators).
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
