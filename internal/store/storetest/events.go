package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
)

func runEvents(t *testing.T, open Opener) {
	t.Run("EmptyBatch", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		for _, batch := range [][]event.Event{nil, {}} {
			n, err := s.AppendEvents(ctx, batch)
			if err != nil || n != 0 {
				t.Fatalf("AppendEvents(%v) = %d, %v; want 0, nil", batch, n, err)
			}
		}
		countIs(t, s, store.EventQuery{}, 0)
	})
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("DuplicatesWithinBatch", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		evs := GenEvents(2, 3)
		n, err := s.AppendEvents(ctx, []event.Event{evs[0], evs[1], evs[0], evs[2], evs[1]})
		mustNil(t, "append", err)
		if n != 3 {
			t.Fatalf("inserted = %d, want 3", n)
		}
		countIs(t, s, store.EventQuery{}, 3)
		// A large batch repeating itself (duplicates inside one multi-row
		// statement) and one event already stored.
		more := GenEvents(7, 60)
		big := append(append(append([]event.Event{}, more...), more...), evs[0])
		n, err = s.AppendEvents(ctx, big)
		mustNil(t, "append big", err)
		if n != 60 {
			t.Fatalf("inserted = %d, want 60", n)
		}
		countIs(t, s, store.EventQuery{}, 63)
	})
	t.Run("DuplicatesAcrossBatches", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		evs := GenEvents(3, 300)
		n, err := s.AppendEvents(ctx, evs[:200])
		mustNil(t, "append first", err)
		if n != 200 {
			t.Fatalf("first inserted = %d, want 200", n)
		}
		n, err = s.AppendEvents(ctx, evs[100:])
		mustNil(t, "append second", err)
		if n != 100 {
			t.Fatalf("second inserted = %d, want 100", n)
		}
		n, err = s.AppendEvents(ctx, evs)
		mustNil(t, "append again", err)
		if n != 0 {
			t.Fatalf("re-append inserted = %d, want 0", n)
		}
		countIs(t, s, store.EventQuery{}, 300)
	})
	t.Run("FailedBatchStoresNothing", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		evs := GenEvents(4, 10)
		evs[7].Fields = map[string]any{"bad": math.NaN()} // cannot be encoded
		if _, err := s.AppendEvents(ctx, evs); err == nil {
			t.Fatal("AppendEvents with an unencodable event succeeded")
		}
		countIs(t, s, store.EventQuery{}, 0)
	})
	t.Run("CancelledContextStoresNothing", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(ctxT(t))
		cancel()
		if _, err := s.AppendEvents(ctx, GenEvents(6, 50)); err == nil {
			t.Fatal("AppendEvents with a cancelled context succeeded")
		}
		countIs(t, s, store.EventQuery{}, 0)
	})
	t.Run("Paging10k", func(t *testing.T) { testPaging10k(t, open) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, open) })
	t.Run("Limits", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		_, err := s.AppendEvents(ctx, GenEvents(5, 1200))
		mustNil(t, "append", err)
		for _, c := range []struct{ limit, want int }{{0, 100}, {-5, 100}, {7, 7}, {1000, 1000}, {5000, 1000}} {
			p, err := s.QueryEvents(ctx, store.EventQuery{Limit: c.limit})
			mustNil(t, "query", err)
			if len(p.Events) != c.want || p.Next == "" {
				t.Errorf("Limit %d: got %d events (next %q), want %d and a cursor", c.limit, len(p.Events), p.Next, c.want)
			}
		}
		n, err := s.CountEvents(ctx, store.EventQuery{Limit: 3, Cursor: "ignored"})
		if err != nil || n != 1200 {
			t.Errorf("CountEvents ignoring limit and cursor = %d, %v; want 1200", n, err)
		}
	})
	t.Run("BadCursor", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		for _, c := range []string{"x", "!!!!", "AAAA", strings.Repeat("A", 200)} {
			if _, err := s.QueryEvents(ctx, store.EventQuery{Cursor: c}); err == nil {
				t.Errorf("cursor %q accepted", c)
			}
		}
	})
	t.Run("OddContent", func(t *testing.T) { testOddContent(t, open) })
	t.Run("DeleteBefore", func(t *testing.T) { testDeleteBefore(t, open) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, open) })
}

func countIs(t *testing.T, s store.Store, q store.EventQuery, want int64) {
	t.Helper()
	n, err := s.CountEvents(ctxT(t), q)
	if err != nil || n != want {
		t.Fatalf("CountEvents(%+v) = %d, %v; want %d", q, n, err, want)
	}
}

// all pages through q and returns the events in order.
func all(t *testing.T, s store.Store, q store.EventQuery) []event.Event {
	t.Helper()
	ctx := ctxT(t)
	var out []event.Event
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatal("paging does not end")
		}
		p, err := s.QueryEvents(ctx, q)
		if err != nil {
			t.Fatalf("QueryEvents(%+v): %v", q, err)
		}
		if q.Limit > 0 && len(p.Events) > q.Limit {
			t.Fatalf("page of %d events, limit %d", len(p.Events), q.Limit)
		}
		out = append(out, p.Events...)
		if p.Next == "" {
			return out
		}
		if len(p.Events) == 0 {
			t.Fatal("empty page with a next cursor")
		}
		q.Cursor = p.Next
	}
}

func testRoundTrip(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	evs := GenEvents(1, 60)
	n, err := s.AppendEvents(ctx, evs)
	mustNil(t, "append", err)
	if n != len(evs) {
		t.Fatalf("inserted = %d, want %d", n, len(evs))
	}
	got := all(t, s, store.EventQuery{Limit: 1000})
	want := expected(evs, func(event.Event) bool { return true })
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if g, w := jsonOf(got[i]), jsonOf(roundTrip(evs[want[i]])); g != w {
			t.Fatalf("event %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

// expected returns the indexes of evs matching pred, in the store's order:
// newest first, ties by insertion order (later first). evs must have been
// appended in slice order.
func expected(evs []event.Event, pred func(event.Event) bool) []int {
	var idx []int
	for i, e := range evs {
		if pred(e) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := evs[b].Timestamp.Compare(evs[a].Timestamp); c != 0 {
			return c
		}
		return b - a
	})
	return idx
}

func testPaging10k(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	const n = 10000
	evs := GenEvents(10, n)
	for i := 0; i < n; i += 1000 {
		k, err := s.AppendEvents(ctx, evs[i:i+1000])
		mustNil(t, "append", err)
		if k != 1000 {
			t.Fatalf("inserted %d, want 1000", k)
		}
	}
	want := expected(evs, func(event.Event) bool { return true })
	for _, limit := range []int{1000, 997} {
		got := all(t, s, store.EventQuery{Limit: limit})
		if len(got) != n {
			t.Fatalf("limit %d: paged %d events, want %d", limit, len(got), n)
		}
		seen := make(map[string]bool, n)
		for i, e := range got {
			if seen[e.ID] {
				t.Fatalf("limit %d: event %s returned twice", limit, e.ID)
			}
			seen[e.ID] = true
			if e.ID != evs[want[i]].ID {
				t.Fatalf("limit %d: position %d is %s, want %s (order newest first, ties by insertion)", limit, i, e.ID, evs[want[i]].ID)
			}
		}
	}
	// Paging with a filter.
	q := store.EventQuery{HostID: "host-b", Limit: 250}
	got := all(t, s, q)
	wantB := expected(evs, func(e event.Event) bool { return e.HostID == "host-b" })
	if len(got) != len(wantB) {
		t.Fatalf("host-b: paged %d, want %d", len(got), len(wantB))
	}
	for i := range got {
		if got[i].ID != evs[wantB[i]].ID {
			t.Fatalf("host-b: position %d is %s, want %s", i, got[i].ID, evs[wantB[i]].ID)
		}
	}
}

func testOddContent(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	evs := GenEvents(30, 4)
	evs[0].Message = "nul\x00byte and bad utf8 \xff\xfe end"
	evs[0].HostID = "odd-host"
	evs[1].Timestamp = time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC) // far past
	evs[1].HostID = "odd-host"
	evs[2].Timestamp = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) // far future
	evs[2].HostID = "odd-host"
	evs[3].Message = strings.Repeat("长", event.MaxFieldLen/3)
	evs[3].HostID = "odd-host"
	// JSON escapes PostgreSQL cannot convert to text, in raw (kept verbatim
	// by encoding/json) and in a field: they must neither fail the insert nor
	// break JSON queries on these rows.
	evs[3].Raw = json.RawMessage(`{"nul":"a\u0000b","lone":"\ud800","pair":"\ud83d\ude00"}`)
	evs[3].Fields = map[string]any{"odd": "x\x00y"}
	n, err := s.AppendEvents(ctx, evs)
	mustNil(t, "append", err)
	if n != 4 {
		t.Fatalf("inserted %d, want 4", n)
	}
	got := all(t, s, store.EventQuery{HostID: "odd-host"})
	if len(got) != 4 {
		t.Fatalf("got %d events, want 4", len(got))
	}
	if got[0].ID != evs[2].ID || got[3].ID != evs[1].ID {
		t.Errorf("far future / far past not at the ends: first %s last %s", got[0].ID, got[3].ID)
	}
	byID := map[string]event.Event{}
	for _, e := range got {
		byID[e.ID] = e
	}
	// NUL characters and unpaired surrogates are stored as U+FFFD.
	want := make([]event.Event, len(evs))
	copy(want, evs)
	want[0].Message = strings.ReplaceAll(want[0].Message, "\x00", "\uFFFD")
	want[3].Raw = json.RawMessage(`{"nul":"a\ufffdb","lone":"\ufffd","pair":"\ud83d\ude00"}`)
	want[3].Fields = map[string]any{"odd": "x\uFFFDy"}
	for _, e := range want {
		if g, w := jsonOf(byID[e.ID]), jsonOf(roundTrip(e)); g != w {
			t.Errorf("event %s changed:\n got %.300s\nwant %.300s", e.ID, g, w)
		}
	}
	countIs(t, s, store.EventQuery{Text: "bad utf8"}, 1)
	countIs(t, s, store.EventQuery{Fields: map[string]string{"host.id": "odd-host"}}, 4)
	countIs(t, s, store.EventQuery{Fields: map[string]string{"message": byID[evs[0].ID].Message}}, 1)
	countIs(t, s, store.EventQuery{Fields: map[string]string{"odd": "x\uFFFDy"}}, 1)
	countIs(t, s, store.EventQuery{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, 2)
}

func testDeleteBefore(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	evs := GenEvents(40, 900)
	_, err := s.AppendEvents(ctx, evs)
	mustNil(t, "append", err)
	cut := evs[450].Timestamp
	for _, kind := range []string{event.KindAlert, event.KindEvent} {
		want := 0
		for _, e := range evs {
			if e.Kind == kind && e.Timestamp.Before(cut) {
				want++
			}
		}
		n, err := s.DeleteEventsBefore(ctx, kind, cut)
		mustNil(t, "delete", err)
		if n != int64(want) {
			t.Fatalf("deleted %d %s events, want %d", n, kind, want)
		}
	}
	left := expected(evs, func(e event.Event) bool {
		return e.Kind == event.KindState || !e.Timestamp.Before(cut)
	})
	got := all(t, s, store.EventQuery{Limit: 1000})
	if len(got) != len(left) {
		t.Fatalf("%d events left, want %d", len(got), len(left))
	}
	for i := range got {
		if got[i].ID != evs[left[i]].ID {
			t.Fatalf("position %d is %s, want %s", i, got[i].ID, evs[left[i]].ID)
		}
	}
	n, err := s.DeleteEventsBefore(ctx, event.KindEvent, cut)
	if err != nil || n != 0 {
		t.Fatalf("second delete = %d, %v; want 0", n, err)
	}
}

func testConcurrentWriters(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	const writers, batch = 8, 50
	pool := GenEvents(50, 1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each writer sends the whole pool, rotated, so batches overlap.
			off := w * 137
			for i := 0; i < len(pool); i += batch {
				b := make([]event.Event, 0, batch)
				for j := i; j < i+batch; j++ {
					b = append(b, pool[(off+j)%len(pool)])
				}
				n, err := s.AppendEvents(ctx, b)
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if total != len(pool) {
		t.Fatalf("writers inserted %d in total, want %d (each id once)", total, len(pool))
	}
	countIs(t, s, store.EventQuery{}, int64(len(pool)))
}
