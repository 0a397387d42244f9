// Package database opens the store named by a DSN: the embedded SQLite
// file by default, or PostgreSQL. It exists apart from package store
// because the implementations import store (store.Open would be an import
// cycle).
//
// It does not run retention (see store/retention). The server and the
// command-line tools import it.
package database

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/postgres"
	"github.com/medshield/medshield/internal/store/sqlite"
)

// DefaultFile is the SQLite file name inside the data directory.
const DefaultFile = "medshield.db"

// Kind of database a DSN names.
const (
	KindSQLite   = "sqlite"
	KindPostgres = "postgres"
)

// Parse resolves dsn: "" or "sqlite:" is dataDir/medshield.db,
// "sqlite:PATH" is the SQLite file PATH (relative to the working
// directory), "postgres://..." or "postgresql://..." is PostgreSQL. It
// returns the kind and the path or connection string.
func Parse(dsn, dataDir string) (kind, target string, err error) {
	switch {
	case dsn == "" || dsn == "sqlite:":
		if dataDir == "" {
			return "", "", fmt.Errorf("database: no data directory for the default SQLite file")
		}
		return KindSQLite, filepath.Join(dataDir, DefaultFile), nil
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(dsn, "sqlite:")
		p = strings.TrimPrefix(p, "//") // tolerate sqlite://PATH
		if p == "" {
			return "", "", fmt.Errorf("database: empty SQLite path in %q", dsn)
		}
		return KindSQLite, p, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return KindPostgres, dsn, nil
	}
	return "", "", fmt.Errorf("database: unsupported DSN %q: want sqlite:PATH or postgres://...", Redact(dsn))
}

// Open opens (creating and migrating as needed) the store named by dsn.
func Open(ctx context.Context, dsn, dataDir string) (store.Store, error) {
	kind, target, err := Parse(dsn, dataDir)
	if err != nil {
		return nil, err
	}
	switch kind {
	case KindSQLite:
		s, err := sqlite.Open(ctx, target, sqlite.Options{})
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		s, err := postgres.Open(ctx, target, postgres.Options{})
		if err != nil {
			return nil, fmt.Errorf("%w (dsn %s)", err, Redact(dsn))
		}
		return s, nil
	}
}

// Redact hides the password of a URL-style DSN, for logs and errors.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		if err != nil && strings.Contains(dsn, "@") {
			return "<unparsable dsn>"
		}
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
