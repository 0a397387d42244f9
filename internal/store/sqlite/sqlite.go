// Package sqlite is medshield's embedded store: store.Store on a single
// SQLite file (modernc.org/sqlite, pure Go, no cgo) in the data directory.
//
// The database runs in WAL mode with a busy timeout. All writes go through
// one connection (SQLite allows one writer at a time; queueing in Go is
// cheaper than spinning on SQLITE_BUSY) with BEGIN IMMEDIATE transactions,
// while reads use a small pool of read-only connections that WAL lets run
// beside the writer. Concurrent event batches are group-committed with
// prepared multi-row inserts. Commits are fsynced (synchronous=FULL) unless
// Options say otherwise; see docs/storage.md for the trade-off.
//
// It does not do retention on its own (see store/retention) and does not
// know about HTTP. The server and the command-line tools import it, usually
// through store.Open.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/medshield/medshield/internal/store/internal/sqldb"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Synchronous settings (PRAGMA synchronous).
const (
	// SyncFull (default): every commit waits for an fsync of the WAL, so a
	// batch acknowledged to an agent survives power loss too. Group commit
	// shares one fsync between concurrent uploads.
	SyncFull = "FULL"
	// SyncNormal: in WAL mode, a committed transaction survives a process
	// crash; a power loss or OS crash may lose the last transactions (never
	// corrupting the database). Saves one fsync per commit.
	SyncNormal = "NORMAL"
)

// Options tune the store; the zero value is the default.
type Options struct {
	// Synchronous is SyncFull (default) or SyncNormal.
	Synchronous string
	// ReadConns is the size of the read pool (default: max(4, GOMAXPROCS)).
	ReadConns int
	// BusyTimeoutMS is how long a connection waits for a lock held by
	// another process (default 10000).
	BusyTimeoutMS int
}

// Store is the SQLite store.
type Store struct {
	*sqldb.Store
	b *backend
}

// Open opens (creating if needed) the database file at path and applies
// pending migrations.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open sqlite %q: path must not contain ? or #", path)
	}
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = SyncFull
	case SyncNormal, SyncFull:
	default:
		return nil, fmt.Errorf("open sqlite: synchronous must be NORMAL or FULL, not %q", opts.Synchronous)
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if opts.BusyTimeoutMS <= 0 {
		opts.BusyTimeoutMS = 10000
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// The database holds password hashes and the CA key: create it private.
	// SQLite gives the -wal and -shm files the same permissions.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	f.Close()

	params := url.Values{}
	params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeoutMS))
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "synchronous("+sync+")")
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "temp_store(MEMORY)")
	params.Add("_pragma", "mmap_size(1073741824)")
	wparams := cloneValues(params)
	wparams.Set("_txlock", "immediate")
	wparams.Add("_pragma", "cache_size(-32768)")
	writer, err := sql.Open("sqlite", path+"?"+wparams.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	rparams := cloneValues(params)
	rparams.Add("_pragma", "query_only(1)")
	reader, err := sql.Open("sqlite", path+"?"+rparams.Encode())
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	reader.SetMaxOpenConns(opts.ReadConns)
	reader.SetMaxIdleConns(opts.ReadConns)

	b := &backend{writer: writer, reader: reader}
	if err := b.init(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	s := &Store{Store: sqldb.New(b), b: b}
	return s, nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (b *backend) init(ctx context.Context) error {
	if err := b.writer.PingContext(ctx); err != nil {
		return err
	}
	var mode string
	if err := b.writer.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, not wal", mode)
	}
	ms, err := sqldb.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return err
	}
	if _, err := sqldb.Migrate(ctx, b, ms, ""); err != nil {
		return err
	}
	if b.insertChunk, err = b.writer.PrepareContext(ctx, insertEventSQL(insertChunk)); err != nil {
		return fmt.Errorf("prepare event insert: %w", err)
	}
	if b.insertOne, err = b.writer.PrepareContext(ctx, insertEventSQL(1)); err != nil {
		return fmt.Errorf("prepare event insert: %w", err)
	}
	b.gc = newCommitter(b)
	return nil
}

// SchemaVersion returns the applied schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.b.reader.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// isUnique reports a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return false
}
