package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/store"
)

// chain is a stand-in for the audit package's hash: any function of the
// previous hash and every field will do for checking the store.
func chain(prev string, r store.AuditRecord) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q|%d|%s|%q|%q|%q|%q|%q", prev, r.Seq, r.At.UTC().Format(time.RFC3339Nano),
		r.Actor, r.Action, r.Target, r.Detail, r.Remote)
	return hex.EncodeToString(h.Sum(nil))
}

// verify checks the whole chain as read back from the store.
func verify(t *testing.T, s store.Store, want int) {
	t.Helper()
	ctx := ctxT(t)
	prev, after, n := "", int64(0), 0
	for {
		recs, err := s.ListAudit(ctx, after, 7)
		mustNil(t, "list audit", err)
		if len(recs) == 0 {
			break
		}
		if len(recs) > 7 {
			t.Fatalf("ListAudit returned %d records, limit 7", len(recs))
		}
		for _, r := range recs {
			n++
			if r.Seq != after+1 {
				t.Fatalf("seq %d after %d", r.Seq, after)
			}
			if r.PrevHash != prev {
				t.Fatalf("record %d: prev hash %s, want %s", r.Seq, r.PrevHash, prev)
			}
			if h := chain(prev, r); h != r.Hash {
				t.Fatalf("record %d does not verify after reading back: %+v", r.Seq, r)
			}
			prev, after = r.Hash, r.Seq
		}
	}
	if n != want {
		t.Fatalf("chain has %d records, want %d", n, want)
	}
}

func runAudit(t *testing.T, open Opener) {
	t.Run("Chain", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		verify(t, s, 0)
		var prev string
		for i := 1; i <= 3; i++ {
			r := store.AuditRecord{Seq: 99, PrevHash: "ignored", Hash: "ignored",
				At: base.Add(time.Duration(i) * 1500 * time.Nanosecond), Actor: "alice", Action: "token.create",
				Target: fmt.Sprintf("t%d", i), Detail: `{"uses":50}`, Remote: "127.0.0.1:5555"}
			got, err := s.AppendAudit(ctx, r, chain)
			mustNil(t, "append", err)
			if got.Seq != int64(i) || got.PrevHash != prev || got.Hash != chain(prev, got) || got.Target != r.Target {
				t.Fatalf("append %d returned %+v", i, got)
			}
			prev = got.Hash
		}
		verify(t, s, 3)
		recs, err := s.ListAudit(ctx, 1, 1)
		mustNil(t, "list", err)
		if len(recs) != 1 || recs[0].Seq != 2 || recs[0].Target != "t2" || recs[0].Detail != `{"uses":50}` ||
			recs[0].Remote != "127.0.0.1:5555" || !recs[0].At.Equal(base.Add(3000*time.Nanosecond)) {
			t.Fatalf("ListAudit(1, 1) = %+v", recs)
		}
		recs, err = s.ListAudit(ctx, 3, 10)
		if err != nil || len(recs) != 0 {
			t.Fatalf("ListAudit past the end = %v, %v", recs, err)
		}
	})
	t.Run("ConcurrentAppenders", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		const workers, each = 8, 15
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					r := store.AuditRecord{At: time.Now(), Actor: fmt.Sprintf("worker-%d", w), Action: "test.append", Target: fmt.Sprint(i)}
					if _, err := s.AppendAudit(ctx, r, chain); err != nil {
						t.Errorf("worker %d: %v", w, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		verify(t, s, workers*each)
	})
}

func runCommands(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	mk := func(id, agent string, at time.Duration) store.Command {
		return store.Command{ID: id, AgentID: agent, Name: "ping", Args: []byte(`{"n":1}`), CreatedBy: "alice", CreatedAt: base.Add(at)}
	}
	mustNil(t, "create", s.CreateCommand(ctx, mk("c2", "a1", 2*time.Second)))
	mustNil(t, "create", s.CreateCommand(ctx, mk("c1", "a1", time.Second)))
	mustNil(t, "create", s.CreateCommand(ctx, mk("c3", "a2", time.Second)))
	wantErr(t, "duplicate", s.CreateCommand(ctx, mk("c1", "a1", 0)), store.ErrExists)
	g, err := s.GetCommand(ctx, "c1")
	mustNil(t, "get", err)
	if g.Status != "pending" || g.Name != "ping" || !bytes.Equal(g.Args, []byte(`{"n":1}`)) || !g.DeliveredAt.IsZero() || g.CreatedBy != "alice" {
		t.Fatalf("new command = %+v", g)
	}
	_, err = s.GetCommand(ctx, "nope")
	wantErr(t, "get missing", err, store.ErrNotFound)

	now := base.Add(time.Minute)
	p, err := s.PendingCommands(ctx, "a1", now)
	mustNil(t, "pending", err)
	if len(p) != 2 || p[0].ID != "c1" || p[1].ID != "c2" || p[0].Status != "delivered" || !sameTime(p[0].DeliveredAt, now) {
		t.Fatalf("PendingCommands(a1) = %+v, want c1, c2 delivered", p)
	}
	p, err = s.PendingCommands(ctx, "a1", now)
	if err != nil || len(p) != 0 {
		t.Fatalf("second poll = %+v, %v; want nothing", p, err)
	}
	wantErr(t, "complete by another agent", s.CompleteCommand(ctx, "c1", "a2", "done", nil, now), store.ErrNotFound)
	mustNil(t, "complete", s.CompleteCommand(ctx, "c1", "a1", "done", []byte(`{"pong":true}`), now.Add(time.Second)))
	g, _ = s.GetCommand(ctx, "c1")
	if g.Status != "done" || string(g.Result) != `{"pong":true}` || !sameTime(g.CompletedAt, now.Add(time.Second)) {
		t.Fatalf("completed command = %+v", g)
	}
	wantErr(t, "complete unknown", s.CompleteCommand(ctx, "nope", "a1", "done", nil, now), store.ErrNotFound)

	t.Run("ConcurrentPolls", func(t *testing.T) {
		for i := 0; i < 20; i++ {
			mustNil(t, "create", s.CreateCommand(ctx, mk(fmt.Sprintf("p%02d", i), "a3", time.Duration(i))))
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 5; k++ {
					p, err := s.PendingCommands(ctx, "a3", now)
					if err != nil {
						t.Errorf("poll: %v", err)
						return
					}
					mu.Lock()
					for _, c := range p {
						seen[c.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 20 {
			t.Fatalf("%d of 20 commands delivered", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("command %s delivered %d times", id, n)
			}
		}
	})
}

func runSettings(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	_, err := s.GetSetting(ctx, "ca.key")
	wantErr(t, "missing", err, store.ErrNotFound)
	bin := []byte{0, 1, 2, 0xff, 0xfe, '\n', 0}
	for _, v := range [][]byte{[]byte("first"), bin, {}} {
		mustNil(t, "put", s.PutSetting(ctx, "ca.key", v))
		got, err := s.GetSetting(ctx, "ca.key")
		mustNil(t, "get", err)
		if !bytes.Equal(got, v) || got == nil {
			t.Fatalf("GetSetting = %v, want %v (non-nil)", got, v)
		}
	}
	mustNil(t, "put other", s.PutSetting(ctx, "other", []byte("x")))
	got, _ := s.GetSetting(ctx, "ca.key")
	if len(got) != 0 {
		t.Fatalf("unrelated put changed ca.key: %v", got)
	}
}
