package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/storetest"
)

func openTemp(t *testing.T) store.Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "medshield.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTemp)
}

func TestReopenAppliesNoMigrationTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	for i := 0; i < 3; i++ {
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != 1 {
			t.Fatalf("open %d: schema version %d, %v; want 1", i, v, err)
		}
		var rows int
		if err := s.b.reader.QueryRow(`SELECT COUNT(*) FROM schema_version`).Scan(&rows); err != nil || rows != 1 {
			t.Fatalf("open %d: schema_version has %d rows (%v)", i, rows, err)
		}
		s.Close()
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.b.writer.Exec(`INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, path, Options{}); err == nil {
		s.Close()
		t.Fatal("opened a database with a newer schema")
	}
}

func TestOpenOptions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		path string
		opts Options
		ok   bool
	}{
		{filepath.Join(dir, "a.db"), Options{Synchronous: "full"}, true},
		{filepath.Join(dir, "b.db"), Options{Synchronous: "OFF"}, false},
		{filepath.Join(dir, "c?.db"), Options{}, false},
		{"", Options{}, false},
	} {
		s, err := Open(ctx, tc.path, tc.opts)
		if (err == nil) != tc.ok {
			t.Errorf("Open(%q, %+v) error = %v, want ok=%v", tc.path, tc.opts, err, tc.ok)
		}
		if err == nil {
			s.Close()
		}
	}
}

func TestSynchronousApplied(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		opt  string
		want int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{{"", 2}, {SyncFull, 2}, {SyncNormal, 1}, {"normal", 1}} {
		s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{Synchronous: tc.opt})
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := s.b.writer.QueryRow("PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		var mode string
		s.b.reader.QueryRow("PRAGMA journal_mode").Scan(&mode)
		s.Close()
		if got != tc.want || mode != "wal" {
			t.Errorf("Synchronous %q: PRAGMA synchronous = %d, journal_mode %q; want %d, wal", tc.opt, got, mode, tc.want)
		}
	}
}
