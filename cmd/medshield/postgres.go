package main

import (
	"context"

	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/postgres"
)

func openPostgres(ctx context.Context, dsn string) (store.Store, error) {
	return postgres.Open(ctx, dsn, postgres.Options{})
}
