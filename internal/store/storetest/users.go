package storetest

import (
	"testing"
	"time"

	"github.com/medshield/medshield/internal/store"
)

func runUsers(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	u := store.User{ID: "u1", Name: "alice", PasswordHash: "$argon2id$v=19$x", Role: store.RoleAdmin, CreatedAt: base}
	mustNil(t, "create", s.CreateUser(ctx, u))
	mustNil(t, "create bob", s.CreateUser(ctx, store.User{ID: "u2", Name: "bob", Role: store.RoleViewer, Organization: "general-hospital", CreatedAt: base}))
	wantErr(t, "duplicate name", s.CreateUser(ctx, store.User{ID: "u3", Name: "alice"}), store.ErrExists)
	wantErr(t, "duplicate id", s.CreateUser(ctx, store.User{ID: "u1", Name: "carol"}), store.ErrExists)

	t.Run("Get", func(t *testing.T) {
		for _, get := range []func() (store.User, error){
			func() (store.User, error) { return s.GetUser(ctx, "u1") },
			func() (store.User, error) { return s.GetUserByName(ctx, "alice") },
		} {
			g, err := get()
			mustNil(t, "get", err)
			if g.ID != "u1" || g.Name != "alice" || g.PasswordHash != u.PasswordHash || g.Role != store.RoleAdmin ||
				!sameTime(g.CreatedAt, base) || !g.LockedUntil.IsZero() || !g.DisabledAt.IsZero() {
				t.Fatalf("user = %+v", g)
			}
		}
		_, err := s.GetUser(ctx, "nope")
		wantErr(t, "get missing", err, store.ErrNotFound)
		_, err = s.GetUserByName(ctx, "ALICE")
		wantErr(t, "names are case-sensitive", err, store.ErrNotFound)
	})
	t.Run("ListAndUpdate", func(t *testing.T) {
		g, _ := s.GetUser(ctx, "u2")
		g.PasswordHash, g.Role, g.Organization = "new-hash", store.RoleAnalyst, ""
		g.FailedLogins, g.LockedUntil, g.DisabledAt = 3, base.Add(15*time.Minute), base.Add(time.Hour)
		g.Name = "renamed" // not mutable
		mustNil(t, "update", s.UpdateUser(ctx, g))
		h, _ := s.GetUser(ctx, "u2")
		if h.Name != "bob" || h.PasswordHash != "new-hash" || h.Role != store.RoleAnalyst || h.Organization != "" ||
			h.FailedLogins != 3 || !sameTime(h.LockedUntil, g.LockedUntil) || !sameTime(h.DisabledAt, g.DisabledAt) {
			t.Fatalf("after update: %+v", h)
		}
		wantErr(t, "update missing", s.UpdateUser(ctx, store.User{ID: "nope"}), store.ErrNotFound)
		l, err := s.ListUsers(ctx)
		mustNil(t, "list", err)
		if len(l) != 2 || l[0].Name != "alice" || l[1].Name != "bob" {
			t.Fatalf("ListUsers = %+v", l)
		}
	})
	t.Run("Sessions", func(t *testing.T) {
		for i, exp := range []time.Duration{-time.Minute, 0, time.Hour} {
			se := store.Session{Hash: "s" + string(rune('a'+i)), UserID: "u1", CSRF: "csrf", CreatedAt: base, ExpiresAt: base.Add(exp)}
			mustNil(t, "create session", s.CreateSession(ctx, se))
		}
		wantErr(t, "duplicate session", s.CreateSession(ctx, store.Session{Hash: "sa", UserID: "u1"}), store.ErrExists)
		g, err := s.GetSession(ctx, "sc")
		mustNil(t, "get session", err)
		if g.UserID != "u1" || g.CSRF != "csrf" || !sameTime(g.CreatedAt, base) || !sameTime(g.ExpiresAt, base.Add(time.Hour)) {
			t.Fatalf("session = %+v", g)
		}
		n, err := s.DeleteExpiredSessions(ctx, base)
		if err != nil || n != 2 {
			t.Fatalf("DeleteExpiredSessions = %d, %v; want 2 (expired before and at now)", n, err)
		}
		_, err = s.GetSession(ctx, "sa")
		wantErr(t, "expired session", err, store.ErrNotFound)
		mustNil(t, "delete", s.DeleteSession(ctx, "sc"))
		mustNil(t, "delete again", s.DeleteSession(ctx, "sc"))
		_, err = s.GetSession(ctx, "sc")
		wantErr(t, "deleted session", err, store.ErrNotFound)
	})
	t.Run("APIKeys", func(t *testing.T) {
		mustNil(t, "create", s.CreateAPIKey(ctx, store.APIKey{ID: "k1", Hash: "kh1", UserID: "u1", Name: "siem", CreatedAt: base}))
		mustNil(t, "create", s.CreateAPIKey(ctx, store.APIKey{ID: "k2", Hash: "kh2", UserID: "u1", Name: "soar", CreatedAt: base.Add(time.Second)}))
		wantErr(t, "duplicate hash", s.CreateAPIKey(ctx, store.APIKey{ID: "k3", Hash: "kh1"}), store.ErrExists)
		k, err := s.GetAPIKeyByHash(ctx, "kh1")
		mustNil(t, "get", err)
		if k.ID != "k1" || k.UserID != "u1" || k.Name != "siem" || !sameTime(k.CreatedAt, base) || !k.RevokedAt.IsZero() {
			t.Fatalf("key = %+v", k)
		}
		_, err = s.GetAPIKeyByHash(ctx, "nope")
		wantErr(t, "get missing", err, store.ErrNotFound)
		mustNil(t, "revoke", s.RevokeAPIKey(ctx, "k1", base.Add(time.Hour)))
		wantErr(t, "revoke missing", s.RevokeAPIKey(ctx, "nope", base), store.ErrNotFound)
		l, err := s.ListAPIKeys(ctx)
		mustNil(t, "list", err)
		if len(l) != 2 || l[0].ID != "k1" || !sameTime(l[0].RevokedAt, base.Add(time.Hour)) || l[1].ID != "k2" || !l[1].RevokedAt.IsZero() {
			t.Fatalf("ListAPIKeys = %+v", l)
		}
	})
}
