package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/storetest"
)

func benchOpen(opts Options) storetest.BenchOpener {
	return func(b *testing.B) store.Store {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
}

// go test -run - -bench AppendEvents -benchtime 200000x ./internal/store/sqlite
func BenchmarkAppendEvents(b *testing.B) { storetest.BenchAppend(b, benchOpen(Options{})) }

// BenchmarkAppendEventsSyncNormal is the same with synchronous=NORMAL.
func BenchmarkAppendEventsSyncNormal(b *testing.B) {
	storetest.BenchAppend(b, benchOpen(Options{Synchronous: SyncNormal}))
}

// go test -run - -bench QueryEvents ./internal/store/sqlite
func BenchmarkQueryEvents(b *testing.B) { storetest.BenchQuery(b, benchOpen(Options{})) }
