package main

import (
	"context"
	"errors"

	"github.com/medshield/medshield/internal/store"
)

func openPostgres(ctx context.Context, dsn string) (store.Store, error) {
	return nil, errors.New("PostgreSQL store not available in this build yet")
}
