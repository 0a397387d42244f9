package sqldb

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads files named NNNN_description.sql from dir in fsys,
// in version order. Versions must start at 1 and have no gaps.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %q: expected version %d", m.Name, i+1)
		}
	}
	return ms, nil
}

// Migrate applies the migrations not yet recorded in schema_version, each in
// its own transaction together with its schema_version row, so a crash
// leaves the schema at a recorded version. lock, when not empty, is run
// first in each transaction to keep concurrent starters apart. It returns
// the resulting version.
func Migrate(ctx context.Context, b Backend, ms []Migration, lock string) (int, error) {
	err := b.Write(ctx, func(q Querier) error {
		if lock != "" {
			if _, err := q.Exec(ctx, lock); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		_, err := q.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("create schema_version: %w", err)
	}
	current := 0
	for _, m := range ms {
		err := b.Write(ctx, func(q Querier) error {
			if lock != "" {
				if _, err := q.Exec(ctx, lock); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			var v int64
			if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			current = int(v)
			if current >= m.Version {
				return nil
			}
			if _, err := q.Exec(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := q.Exec(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`,
				int64(m.Version), m.Name, time.Now().UnixNano()); err != nil {
				return err
			}
			current = m.Version
			return nil
		})
		if err != nil {
			return current, fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
	}
	var v int64
	if err := b.Read().QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if int(v) > len(ms) {
		return int(v), fmt.Errorf("database schema version %d is newer than this medshield (%d): upgrade medshield", v, len(ms))
	}
	return int(v), nil
}
