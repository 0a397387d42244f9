package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/medshield/medshield/internal/store"
)

const userCols = `id, name, password_hash, role, organization, created_at, failed_logins, locked_until, disabled_at`

func scanUser(r interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var created, locked, disabled int64
	err := r.Scan(&u.ID, &u.Name, &u.PasswordHash, &u.Role, &u.Organization, &created, &u.FailedLogins, &locked, &disabled)
	u.CreatedAt, u.LockedUntil, u.DisabledAt = Time(created), Time(locked), Time(disabled)
	return u, err
}

// CreateUser stores a new user; the id and the name are unique.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	err := s.b.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO users (`+userCols+`) VALUES (?,?,?,?,?,?,?,?,?)`,
			Text(u.ID), Text(u.Name), Text(u.PasswordHash), Text(u.Role), Text(u.Organization),
			NS(u.CreatedAt), u.FailedLogins, NS(u.LockedUntil), NS(u.DisabledAt))
		return err
	})
	return s.existsErr(fmt.Sprintf("create user %q", u.Name), err)
}

// GetUser returns a user by id.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	u, err := scanUser(s.b.Read().QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, Text(id)))
	return u, notFound(fmt.Sprintf("get user %q", id), err)
}

// GetUserByName returns a user by name (exact, case-sensitive).
func (s *Store) GetUserByName(ctx context.Context, name string) (store.User, error) {
	u, err := scanUser(s.b.Read().QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, Text(name)))
	return u, notFound(fmt.Sprintf("get user %q", name), err)
}

// ListUsers lists users by name.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.b.Read().Query(ctx, `SELECT `+userCols+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser replaces the mutable fields of user u.ID.
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	var n int64
	err := s.b.Write(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `UPDATE users SET password_hash = ?, role = ?, organization = ?,
			failed_logins = ?, locked_until = ?, disabled_at = ? WHERE id = ?`,
			Text(u.PasswordHash), Text(u.Role), Text(u.Organization), u.FailedLogins,
			NS(u.LockedUntil), NS(u.DisabledAt), Text(u.ID))
		return err
	})
	return affectedOne(fmt.Sprintf("update user %q", u.ID), n, err)
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, se store.Session) error {
	err := s.b.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) VALUES (?,?,?,?,?)`,
			Text(se.Hash), Text(se.UserID), Text(se.CSRF), NS(se.CreatedAt), NS(se.ExpiresAt))
		return err
	})
	return s.existsErr("create session", err)
}

// GetSession returns a session by hash; the caller checks ExpiresAt.
func (s *Store) GetSession(ctx context.Context, hash string) (store.Session, error) {
	var se store.Session
	var created, expires int64
	err := s.b.Read().QueryRow(ctx, `SELECT hash, user_id, csrf, created_at, expires_at FROM sessions WHERE hash = ?`,
		Text(hash)).Scan(&se.Hash, &se.UserID, &se.CSRF, &created, &expires)
	se.CreatedAt, se.ExpiresAt = Time(created), Time(expires)
	return se, notFound("get session", err)
}

// DeleteSession removes a session; removing an absent session is not an
// error (logout is idempotent).
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	err := s.b.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `DELETE FROM sessions WHERE hash = ?`, Text(hash))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions that expired at or before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.b.Write(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, NS(now))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

const apiKeyCols = `id, hash, user_id, name, created_at, revoked_at`

func scanAPIKey(r interface{ Scan(...any) error }) (store.APIKey, error) {
	var k store.APIKey
	var created, revoked int64
	err := r.Scan(&k.ID, &k.Hash, &k.UserID, &k.Name, &created, &revoked)
	k.CreatedAt, k.RevokedAt = Time(created), Time(revoked)
	return k, err
}

// CreateAPIKey stores an API key.
func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	err := s.b.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO api_keys (`+apiKeyCols+`) VALUES (?,?,?,?,?,?)`,
			Text(k.ID), Text(k.Hash), Text(k.UserID), Text(k.Name), NS(k.CreatedAt), NS(k.RevokedAt))
		return err
	})
	return s.existsErr(fmt.Sprintf("create api key %q", k.ID), err)
}

// GetAPIKeyByHash returns a key by hash; the caller checks RevokedAt.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash string) (store.APIKey, error) {
	k, err := scanAPIKey(s.b.Read().QueryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE hash = ?`, Text(hash)))
	return k, notFound("get api key", err)
}

// ListAPIKeys lists keys, oldest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]store.APIKey, error) {
	rows, err := s.b.Read().Query(ctx, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var out []store.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return out, nil
}

// RevokeAPIKey revokes a key; revoking twice keeps the first time.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	var n int64
	err := s.b.Write(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `UPDATE api_keys SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
			WHERE id = ?`, nonZeroNS(at), Text(id))
		return err
	})
	return affectedOne(fmt.Sprintf("revoke api key %q", id), n, err)
}
