package sqlite

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/internal/sqldb"
	"github.com/medshield/medshield/internal/store/storetest"
)

// TestGroupCommitIsolatesAFailingBatch commits three batches in one group
// where the middle one fails in its second multi-row statement (a trigger
// refuses one of its rows): the other two are stored, nothing of the
// failing one is, and each caller gets its own result.
func TestGroupCommitIsolatesAFailingBatch(t *testing.T) {
	s := openTemp(t).(*Store)
	ctx := context.Background()
	if _, err := s.b.writer.Exec(`CREATE TRIGGER poison BEFORE INSERT ON events
		WHEN NEW.host_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`); err != nil {
		t.Fatal(err)
	}
	batch := func(seed uint64, n int, poisonAt int) []sqldb.EventRow {
		evs := storetest.GenEvents(seed, n)
		if poisonAt >= 0 {
			evs[poisonAt].HostID = "poison"
		}
		rows, err := sqldb.EventRows(evs)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	group := []*appendReq{
		{ctx: ctx, rows: batch(1, 50, -1)},
		{ctx: ctx, rows: batch(2, 80, 40)}, // after the first 32-row chunk went in
		{ctx: ctx, rows: batch(3, 7, -1)},
	}
	for _, r := range group {
		r.done = make(chan appendRes, 1)
	}
	s.b.gc.commit(group)
	want := []struct {
		n   int
		err bool
	}{{50, false}, {0, true}, {7, false}}
	for i, r := range group {
		got := <-r.done
		if got.n != want[i].n || (got.err != nil) != want[i].err {
			t.Errorf("batch %d: n=%d err=%v, want n=%d err=%v", i, got.n, got.err, want[i].n, want[i].err)
		}
	}
	n, err := s.CountEvents(ctx, store.EventQuery{})
	if err != nil || n != 57 {
		t.Fatalf("%d events stored (%v), want 57", n, err)
	}
}

// TestCloseWithAppendsInFlight closes the store while writers append: every
// append returns (stored or refused) and nothing hangs.
func TestCloseWithAppendsInFlight(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir()+"/c.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				evs := make([]event.Event, 20)
				for j := range evs {
					evs[j] = event.New(event.KindEvent, "test", "close")
				}
				if _, err := s.AppendEvents(context.Background(), evs); err != nil {
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("appends still blocked 20 s after Close")
	}
	_, err = s.AppendEvents(context.Background(), []event.Event{event.New(event.KindEvent, "t", "a")})
	if !errors.Is(err, errClosed) {
		t.Errorf("append after close: %v, want %v", err, errClosed)
	}
}

// TestCloseLeavesNoGoroutines checks that the committer and the connection
// pools stop with the store.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		s, err := Open(context.Background(), t.TempDir()+"/g.db", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendEvents(context.Background(), storetest.GenEvents(uint64(i), 10)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.QueryEvents(context.Background(), store.EventQuery{}); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
