package audit_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/medshield/medshield/internal/audit"
	"github.com/medshield/medshield/internal/store/sqlite"
)

func TestVerifyDetectsTampering(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "medshield.db")
	tamper := []struct {
		name, sql  string
		brokenAt   int64
		wantReason string
	}{
		{"edited detail", `UPDATE audit SET detail = '{"hospital":"other"}' WHERE seq = 5`, 5, "modified"},
		{"deleted record", `DELETE FROM audit WHERE seq = 7`, 8, "gap"},
		{"rewritten actor with recomputed nothing", `UPDATE audit SET actor = 'nobody' WHERE seq = 1`, 1, "modified"},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			st, err := sqlite.Open(ctx, path+tc.name, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			log := audit.New(st)
			// Concurrent writers must still produce one consistent chain.
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < 5; i++ {
						if _, err := log.Record(ctx, "admin", "token.create", "t", "127.0.0.1", map[string]int{"w": w, "i": i}); err != nil {
							t.Error(err)
						}
					}
				}(w)
			}
			wg.Wait()
			res, err := audit.Verify(ctx, st)
			if err != nil || !res.OK || res.Records != 20 {
				t.Fatalf("intact chain: %+v %v", res, err)
			}
			st.Close()

			db, err := sql.Open("sqlite", path+tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			db.Close()

			st, err = sqlite.Open(ctx, path+tc.name, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			res, err = audit.Verify(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK || res.BrokenAt != tc.brokenAt {
				t.Fatalf("tampered chain: %+v, want broken at %d", res, tc.brokenAt)
			}
			if !strings.Contains(res.Reason, tc.wantReason) {
				t.Fatalf("reason %q lacks %q", res.Reason, tc.wantReason)
			}
		})
	}
}
