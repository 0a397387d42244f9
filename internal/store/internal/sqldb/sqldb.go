// Package sqldb is the SQL implementation of store.Store shared by the SQLite
// and PostgreSQL back ends: the queries for agents, tokens, users, sessions,
// API keys, commands, settings, the audit log and event search, plus the
// migration runner. A back end supplies connections (a serialised write
// transaction and a read pool), the batch insert of events and the few
// dialect-specific SQL fragments.
//
// SQL is written with ? placeholders; the PostgreSQL back end rebinds them.
// Times are stored as int64 Unix nanoseconds (0 for the zero time) in both
// dialects so that ordering, cursors and retention behave identically.
//
// Only internal/store/sqlite and internal/store/postgres import this package.
package sqldb

import (
	"context"
	"errors"
	"fmt"

	"github.com/medshield/medshield/internal/store"
)

// Querier runs SQL with ? placeholders, inside or outside a transaction.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow returns a row whose Scan reports store.ErrNotFound when the
	// query returned no row.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows iterates over a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result.
type Row interface {
	Scan(dest ...any) error
}

// Backend is what a dialect provides.
type Backend interface {
	// Read returns the querier for reads outside transactions.
	Read() Querier
	// Write runs fn in a write transaction. Write transactions that need
	// serialisation (audit chain) say so with Dialect.LockAudit; SQLite
	// serialises all of them anyway.
	Write(ctx context.Context, fn func(q Querier) error) error
	// InsertEvents inserts rows inside the write transaction q, ignoring
	// rows whose id exists, and returns how many were inserted.
	InsertEvents(ctx context.Context, q Querier, rows []EventRow) (int, error)
	// FieldMatch returns a boolean SQL expression that is true when the JSON
	// document column doc holds value at path (or, for arrays, an element
	// equal to value), rendering numbers and booleans as text; it appends
	// its arguments to args.
	FieldMatch(args *[]any, path []string, value string) string
	// DocContains returns a boolean SQL expression that is true when the
	// JSON document's text contains needle (a cheap necessary condition
	// checked before FieldMatch).
	DocContains(args *[]any, needle string) string
	// TextMatch returns a boolean SQL expression for a case-insensitive
	// substring match of pattern (already a LIKE pattern escaped with \) on
	// the message column.
	TextMatch(args *[]any, pattern string) string
	// LockAudit is run first in the audit append transaction to serialise
	// appenders ("" when transactions are serialised already).
	LockAudit() string
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique(err error) bool
	// Close releases the connections.
	Close() error
}

// Store implements store.Store over a Backend.
type Store struct {
	b Backend
}

var _ store.Store = (*Store)(nil)

// New returns a store over b. The schema must be migrated already.
func New(b Backend) *Store { return &Store{b: b} }

// Backend returns the back end (for dialect packages' own extras).
func (s *Store) Backend() Backend { return s.b }

// Close closes the back end.
func (s *Store) Close() error { return s.b.Close() }

// existsErr turns a unique violation into store.ErrExists.
func (s *Store) existsErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if s.b.IsUnique(err) {
		return fmt.Errorf("%s: %w", what, store.ErrExists)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// notFound wraps err with context, keeping store.ErrNotFound detectable.
func notFound(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// affectedOne turns "0 rows affected" into store.ErrNotFound.
func affectedOne(what string, n int64, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// IsNotFound is a shorthand used by back ends.
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
