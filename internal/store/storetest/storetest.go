// Package storetest is the conformance suite that every store.Store
// implementation runs: Run(t, open) exercises each method, its edge cases
// and its behaviour under concurrent callers against a fresh store per
// subtest. The SQLite and PostgreSQL packages call it from their tests.
//
// It contains no timing assertions; the shared benchmark bodies
// (BenchAppend, BenchQuery) report figures without judging them. It
// imports no implementation. Only tests and benchmarks import it.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/store"
)

// Opener returns a fresh, empty store; it registers its own cleanup.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	t.Run("Events", func(t *testing.T) { runEvents(t, open) })
	t.Run("Agents", func(t *testing.T) { runAgents(t, open) })
	t.Run("Tokens", func(t *testing.T) { runTokens(t, open) })
	t.Run("Users", func(t *testing.T) { runUsers(t, open) })
	t.Run("Audit", func(t *testing.T) { runAudit(t, open) })
	t.Run("Commands", func(t *testing.T) { runCommands(t, open) })
	t.Run("Settings", func(t *testing.T) { runSettings(t, open) })
}

// base is the fixed instant test data is built around.
var base = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustNil(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func sameTime(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() == b.IsZero()
	}
	return a.Equal(b)
}
