package database

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/store"
)

func TestParse(t *testing.T) {
	tests := []struct {
		dsn, data, kind, target string
		bad                     bool
	}{
		{"", "/var/lib/ms", KindSQLite, "/var/lib/ms/medshield.db", false},
		{"sqlite:", "/d", KindSQLite, "/d/medshield.db", false},
		{"sqlite:/tmp/x.db", "/d", KindSQLite, "/tmp/x.db", false},
		{"sqlite:rel/x.db", "", KindSQLite, "rel/x.db", false},
		{"sqlite:///abs/x.db", "", KindSQLite, "/abs/x.db", false},
		{"postgres://u:p@h/db", "", KindPostgres, "postgres://u:p@h/db", false},
		{"postgresql://h/db?sslmode=disable", "", KindPostgres, "postgresql://h/db?sslmode=disable", false},
		{"", "", "", "", true},
		{"mysql://u:secret@h/db", "/d", "", "", true},
		{"/just/a/path.db", "/d", "", "", true},
	}
	for _, tc := range tests {
		kind, target, err := Parse(tc.dsn, tc.data)
		if (err != nil) != tc.bad || kind != tc.kind || target != tc.target {
			t.Errorf("Parse(%q, %q) = %q, %q, %v; want %q, %q, error %v", tc.dsn, tc.data, kind, target, err, tc.kind, tc.target, tc.bad)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://h/db":  "postgres://h/db",
		"sqlite:/x.db":     "sqlite:/x.db",
		"postgres://u@h/d": "postgres://u@h/d",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenDefaultSQLiteReopens checks the default DSN creates the file in
// the data directory privately, and that reopening keeps the data and
// re-applies no migration.
func TestOpenDefaultSQLiteReopens(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutSetting(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit(ctx, store.AuditRecord{At: time.Now(), Action: "x"}, func(string, store.AuditRecord) string { return "h" }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database file mode %v, want 0600", fi.Mode().Perm())
	}
	s, err = Open(ctx, "sqlite:"+filepath.Join(dir, DefaultFile), "")
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	v, err := s.GetSetting(ctx, "k")
	if err != nil || string(v) != "v" {
		t.Fatalf("after reopen GetSetting = %q, %v", v, err)
	}
	recs, err := s.ListAudit(ctx, 0, 10)
	if err != nil || len(recs) != 1 {
		t.Fatalf("after reopen ListAudit = %v, %v", recs, err)
	}
}

func TestOpenPostgres(t *testing.T) {
	dsn := os.Getenv("MEDSHIELD_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("MEDSHIELD_TEST_POSTGRES is not set: skipping PostgreSQL open test")
	}
	s, err := Open(context.Background(), dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ListUsers(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenPostgresBadPasswordRedacted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Open(ctx, "postgres://u:topsecret@127.0.0.1:1/db?connect_timeout=1", "")
	if err == nil {
		t.Fatal("open of an unreachable server succeeded")
	}
	if strings.Contains(err.Error(), "topsecret") {
		t.Errorf("error leaks the password: %v", err)
	}
}
