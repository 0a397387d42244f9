package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/medshield/medshield/internal/store"
)

const tokenCols = `id, hash, organization, unit, created_at, expires_at, max_uses, uses, revoked_at, created_by`

func scanToken(r interface{ Scan(...any) error }) (store.Token, error) {
	var t store.Token
	var created, expires, revoked int64
	err := r.Scan(&t.ID, &t.Hash, &t.Organization, &t.Unit, &created, &expires, &t.MaxUses, &t.Uses, &revoked, &t.CreatedBy)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = Time(created), Time(expires), Time(revoked)
	return t, err
}

// CreateToken stores a new enrolment token.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	err := s.b.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			Text(t.ID), Text(t.Hash), Text(t.Organization), Text(t.Unit), NS(t.CreatedAt), NS(t.ExpiresAt),
			t.MaxUses, t.Uses, NS(t.RevokedAt), Text(t.CreatedBy))
		return err
	})
	return s.existsErr(fmt.Sprintf("create token %q", t.ID), err)
}

// ConsumeToken counts one use of a valid token in a single conditional
// UPDATE, so two enrolments can never both take the last use. A token with
// MaxUses <= 0 or a zero ExpiresAt is never valid (fail closed).
func (s *Store) ConsumeToken(ctx context.Context, hash string, now time.Time) (store.Token, error) {
	var t store.Token
	err := s.b.Write(ctx, func(q Querier) error {
		var err error
		t, err = scanToken(q.QueryRow(ctx, `UPDATE tokens SET uses = uses + 1
			WHERE hash = ? AND revoked_at = 0 AND expires_at > ? AND uses < max_uses
			RETURNING `+tokenCols, Text(hash), NS(now)))
		return err
	})
	if IsNotFound(err) {
		return store.Token{}, store.ErrTokenInvalid
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("consume token: %w", err)
	}
	return t, nil
}

// ListTokens lists tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.b.Read().Query(ctx, `SELECT `+tokenCols+` FROM tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes a token; revoking twice keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	var n int64
	err := s.b.Write(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `UPDATE tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
			WHERE id = ?`, nonZeroNS(at), Text(id))
		return err
	})
	return affectedOne(fmt.Sprintf("revoke token %q", id), n, err)
}
