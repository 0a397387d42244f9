package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/storetest"
)

// testDSN returns MEDSHIELD_TEST_POSTGRES or skips.
func testDSN(t testing.TB) string {
	dsn := os.Getenv("MEDSHIELD_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("MEDSHIELD_TEST_POSTGRES is not set: skipping PostgreSQL tests (scripts/ci-postgres.sh prints a DSN)")
	}
	return dsn
}

// openFresh opens a store in a new schema that is dropped at cleanup.
func openFresh(t testing.TB) *Store {
	t.Helper()
	dsn := testDSN(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "medshield_test_" + hex.EncodeToString(b[:])
	s, err := Open(context.Background(), dsn, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{`x LIKE ? ESCAPE '\' AND y = '?' AND "q?" = ?`, `x LIKE $1 ESCAPE '\' AND y = '?' AND "q?" = $2`},
	}
	for _, tc := range tests {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		again, err := Open(ctx, testDSN(t), Options{Schema: s.schemaForTest(t)})
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		v, err := again.SchemaVersion(ctx)
		again.Close()
		if err != nil || v != 1 {
			t.Fatalf("reopen %d: schema version %d, %v; want 1", i, v, err)
		}
	}
	var rows int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM schema_version`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("schema_version has %d rows (%v), want 1", rows, err)
	}
}

func (s *Store) schemaForTest(t *testing.T) string {
	var sp string
	if err := s.pool.QueryRow(context.Background(), `SHOW search_path`).Scan(&sp); err != nil {
		t.Fatal(err)
	}
	return sp
}

// TestOverlappingBatchesInOppositeOrders inserts the same events from
// concurrent transactions in opposite orders, which makes PostgreSQL's
// unique-index waits deadlock; the store must retry instead of failing an
// upload.
func TestOverlappingBatchesInOppositeOrders(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		evs := storetest.GenEvents(uint64(500+round), 300)
		rev := slices.Clone(evs)
		slices.Reverse(rev)
		var wg sync.WaitGroup
		var total atomic.Int64
		for w := 0; w < 4; w++ {
			batch := evs
			if w%2 == 1 {
				batch = rev
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := s.AppendEvents(ctx, batch)
				if err != nil {
					t.Errorf("round %d writer %d: %v", round, w, err)
				}
				total.Add(int64(n))
			}()
		}
		wg.Wait()
		if total.Load() != 300 {
			t.Fatalf("round %d: inserted %d in total, want 300", round, total.Load())
		}
	}
}
