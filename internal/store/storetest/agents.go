package storetest

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/store"
)

func agentFixture(id, host, org, serial string) store.Agent {
	return store.Agent{
		ID: id, HostName: host, Organization: org, Unit: "icu", CertSerial: serial,
		CertSHA256: "ab" + serial, EnrolledAt: base, Version: "1.0.0", OS: "linux",
	}
}

func runAgents(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	a := agentFixture("agent-1", "zeta", "general-hospital", "0a1b")
	a.Inventory = []byte(`{"os":"debian"}`)
	mustNil(t, "create", s.CreateAgent(ctx, a))
	mustNil(t, "create 2", s.CreateAgent(ctx, agentFixture("agent-2", "alpha", "children-hospital", "0a1c")))
	mustNil(t, "create 3", s.CreateAgent(ctx, agentFixture("agent-3", "mid", "general-hospital", "0a1d")))
	wantErr(t, "duplicate id", s.CreateAgent(ctx, agentFixture("agent-1", "x", "y", "ffff")), store.ErrExists)

	got, err := s.GetAgent(ctx, "agent-1")
	mustNil(t, "get", err)
	if got.ID != a.ID || got.HostName != a.HostName || got.Organization != a.Organization || got.Unit != a.Unit ||
		got.CertSerial != a.CertSerial || got.CertSHA256 != a.CertSHA256 || !sameTime(got.EnrolledAt, a.EnrolledAt) ||
		!got.RevokedAt.IsZero() || !got.LastSeen.IsZero() || !bytes.Equal(got.Inventory, a.Inventory) {
		t.Fatalf("GetAgent = %+v, want %+v", got, a)
	}
	_, err = s.GetAgent(ctx, "nope")
	wantErr(t, "get missing", err, store.ErrNotFound)

	t.Run("List", func(t *testing.T) {
		for _, c := range []struct {
			org  string
			want []string
		}{{"", []string{"agent-2", "agent-3", "agent-1"}}, {"general-hospital", []string{"agent-3", "agent-1"}}, {"other", nil}} {
			l, err := s.ListAgents(ctx, c.org)
			mustNil(t, "list", err)
			var ids []string
			for _, a := range l {
				ids = append(ids, a.ID)
			}
			if !equalStrings(ids, c.want) {
				t.Errorf("ListAgents(%q) = %v, want %v (by host name)", c.org, ids, c.want)
			}
		}
	})
	t.Run("Heartbeat", func(t *testing.T) {
		at := base.Add(time.Hour)
		mustNil(t, "heartbeat", s.RecordHeartbeat(ctx, store.Heartbeat{AgentID: "agent-1", At: at, Version: "1.1.0",
			OS: "linux 6.1", HostName: "zeta2", UptimeSec: 42, SpoolDepth: 7, Dropped: 3}))
		g, err := s.GetAgent(ctx, "agent-1")
		mustNil(t, "get", err)
		if !sameTime(g.LastSeen, at) || g.Version != "1.1.0" || g.OS != "linux 6.1" || g.HostName != "zeta2" ||
			g.UptimeSec != 42 || g.SpoolDepth != 7 || g.Dropped != 3 {
			t.Fatalf("after heartbeat: %+v", g)
		}
		// Empty strings keep the stored values; counters always update.
		mustNil(t, "heartbeat 2", s.RecordHeartbeat(ctx, store.Heartbeat{AgentID: "agent-1", At: at.Add(time.Minute), SpoolDepth: 0}))
		g, _ = s.GetAgent(ctx, "agent-1")
		if g.Version != "1.1.0" || g.HostName != "zeta2" || g.SpoolDepth != 0 || !sameTime(g.LastSeen, at.Add(time.Minute)) {
			t.Fatalf("after empty heartbeat: %+v", g)
		}
		wantErr(t, "heartbeat unknown", s.RecordHeartbeat(ctx, store.Heartbeat{AgentID: "nope", At: at}), store.ErrNotFound)
	})
	t.Run("Inventory", func(t *testing.T) {
		inv := []byte(`{"host":{"os":"Windows 11"},"users":["a","b"]}`)
		mustNil(t, "set", s.SetInventory(ctx, "agent-2", inv))
		g, err := s.GetAgent(ctx, "agent-2")
		mustNil(t, "get", err)
		if !bytes.Equal(g.Inventory, inv) {
			t.Fatalf("inventory = %s, want %s", g.Inventory, inv)
		}
		wantErr(t, "set unknown", s.SetInventory(ctx, "nope", inv), store.ErrNotFound)
	})
	t.Run("Revoke", func(t *testing.T) {
		for _, c := range []struct {
			serial string
			want   bool
		}{{"0a1b", false}, {"0a1c", false}, {"ffff", true}, {"", true}} {
			r, err := s.IsRevokedSerial(ctx, c.serial)
			if err != nil || r != c.want {
				t.Errorf("before revoke: IsRevokedSerial(%q) = %v, %v; want %v", c.serial, r, err, c.want)
			}
		}
		at := base.Add(2 * time.Hour)
		mustNil(t, "revoke", s.RevokeAgent(ctx, "agent-1", at))
		mustNil(t, "revoke again", s.RevokeAgent(ctx, "agent-1", at.Add(time.Hour)))
		g, _ := s.GetAgent(ctx, "agent-1")
		if !sameTime(g.RevokedAt, at) {
			t.Errorf("RevokedAt = %v, want the first revocation %v", g.RevokedAt, at)
		}
		if r, err := s.IsRevokedSerial(ctx, "0a1b"); err != nil || !r {
			t.Errorf("revoked serial: %v, %v", r, err)
		}
		if r, err := s.IsRevokedSerial(ctx, "0a1c"); err != nil || r {
			t.Errorf("other serial: %v, %v", r, err)
		}
		wantErr(t, "revoke unknown", s.RevokeAgent(ctx, "nope", at), store.ErrNotFound)
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func runTokens(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	now := base
	mk := func(id string, maxUses int, expires time.Time) store.Token {
		return store.Token{ID: id, Hash: "hash-" + id, Organization: "general-hospital", Unit: "icu",
			CreatedAt: now, ExpiresAt: expires, MaxUses: maxUses, CreatedBy: "admin"}
	}
	mustNil(t, "create", s.CreateToken(ctx, mk("t1", 2, now.Add(time.Hour))))
	mustNil(t, "create", s.CreateToken(ctx, mk("t2", 5, now.Add(time.Hour))))
	mustNil(t, "create", s.CreateToken(ctx, mk("t3", 5, now.Add(time.Hour))))
	mustNil(t, "create", s.CreateToken(ctx, mk("t0", 0, now.Add(time.Hour))))
	wantErr(t, "duplicate id", s.CreateToken(ctx, mk("t1", 1, now)), store.ErrExists)
	dupHash := mk("t9", 1, now)
	dupHash.Hash = "hash-t1"
	wantErr(t, "duplicate hash", s.CreateToken(ctx, dupHash), store.ErrExists)

	t.Run("Consume", func(t *testing.T) {
		tk, err := s.ConsumeToken(ctx, "hash-t1", now)
		mustNil(t, "consume", err)
		if tk.ID != "t1" || tk.Uses != 1 || tk.MaxUses != 2 || tk.Organization != "general-hospital" || tk.Unit != "icu" ||
			!sameTime(tk.ExpiresAt, now.Add(time.Hour)) || tk.CreatedBy != "admin" {
			t.Fatalf("consumed token = %+v", tk)
		}
		_, err = s.ConsumeToken(ctx, "hash-t1", now.Add(59*time.Minute))
		mustNil(t, "second use", err)
		_, err = s.ConsumeToken(ctx, "hash-t1", now)
		wantErr(t, "used up", err, store.ErrTokenInvalid)
		_, err = s.ConsumeToken(ctx, "hash-t2", now.Add(time.Hour))
		wantErr(t, "expired at the instant", err, store.ErrTokenInvalid)
		_, err = s.ConsumeToken(ctx, "hash-unknown", now)
		wantErr(t, "unknown", err, store.ErrTokenInvalid)
		_, err = s.ConsumeToken(ctx, "hash-t0", now)
		wantErr(t, "zero max uses", err, store.ErrTokenInvalid)
		mustNil(t, "revoke", s.RevokeToken(ctx, "t2", now))
		_, err = s.ConsumeToken(ctx, "hash-t2", now)
		wantErr(t, "revoked", err, store.ErrTokenInvalid)
		wantErr(t, "revoke unknown", s.RevokeToken(ctx, "nope", now), store.ErrNotFound)
	})
	t.Run("ConsumeConcurrently", func(t *testing.T) {
		var ok, bad atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.ConsumeToken(ctx, "hash-t3", now)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, store.ErrTokenInvalid):
					bad.Add(1)
				default:
					t.Errorf("consume: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 5 || bad.Load() != 35 {
			t.Fatalf("40 concurrent uses of a 5-use token: %d succeeded, %d refused", ok.Load(), bad.Load())
		}
	})
	t.Run("List", func(t *testing.T) {
		l, err := s.ListTokens(ctx)
		mustNil(t, "list", err)
		uses := map[string]int{}
		revoked := map[string]bool{}
		for _, tk := range l {
			uses[tk.ID] = tk.Uses
			revoked[tk.ID] = !tk.RevokedAt.IsZero()
		}
		if len(l) != 4 || uses["t1"] != 2 || uses["t3"] != 5 || uses["t2"] != 0 || !revoked["t2"] || revoked["t1"] {
			t.Fatalf("ListTokens = %+v", l)
		}
	})
}
