package postgres

import (
	"testing"

	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/storetest"
)

func benchOpen(b *testing.B) store.Store { return openFresh(b) }

// MEDSHIELD_TEST_POSTGRES=... go test -run - -bench AppendEvents -benchtime 100000x ./internal/store/postgres
func BenchmarkAppendEvents(b *testing.B) { storetest.BenchAppend(b, benchOpen) }

// MEDSHIELD_TEST_POSTGRES=... go test -run - -bench QueryEvents ./internal/store/postgres
func BenchmarkQueryEvents(b *testing.B) { storetest.BenchQuery(b, benchOpen) }
