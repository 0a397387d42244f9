package retention

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/sqlite"
)

var now = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

type call struct {
	kind string
	t    time.Time
}

type fakeStore struct {
	mu       sync.Mutex
	calls    []call
	sessions int
	fail     string
}

func (f *fakeStore) DeleteEventsBefore(_ context.Context, kind string, t time.Time) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{kind, t})
	if kind == f.fail {
		return 0, errors.New("disk on fire")
	}
	return 1, nil
}

func (f *fakeStore) DeleteExpiredSessions(context.Context, time.Time) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions++
	return 0, nil
}

func TestRunOnceCutoffs(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []call
	}{
		{"defaults", Config{}, []call{
			{event.KindEvent, now.Add(-DefaultKeep)}, {event.KindAlert, now.Add(-DefaultKeep)}, {event.KindState, now.Add(-DefaultKeep)}}},
		{"per kind", Config{Event: 24 * time.Hour, Alert: 365 * 24 * time.Hour, State: time.Hour}, []call{
			{event.KindEvent, now.Add(-24 * time.Hour)}, {event.KindAlert, now.Add(-365 * 24 * time.Hour)}, {event.KindState, now.Add(-time.Hour)}}},
		{"keep alerts forever", Config{Alert: -1}, []call{
			{event.KindEvent, now.Add(-DefaultKeep)}, {event.KindState, now.Add(-DefaultKeep)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStore{}
			if _, err := New(f, tc.cfg, nil, nil).RunOnce(context.Background(), now); err != nil {
				t.Fatal(err)
			}
			if len(f.calls) != len(tc.want) {
				t.Fatalf("calls = %v, want %v", f.calls, tc.want)
			}
			for i := range tc.want {
				if f.calls[i].kind != tc.want[i].kind || !f.calls[i].t.Equal(tc.want[i].t) {
					t.Errorf("call %d = %v, want %v", i, f.calls[i], tc.want[i])
				}
			}
			if f.sessions != 1 {
				t.Errorf("sessions purged %d times, want 1", f.sessions)
			}
		})
	}
}

func TestRunOnceGoesOnAfterAFailure(t *testing.T) {
	f := &fakeStore{fail: event.KindEvent}
	res, err := New(f, Config{}, nil, nil).RunOnce(context.Background(), now)
	if err == nil {
		t.Fatal("error not reported")
	}
	if len(f.calls) != 3 || res.Deleted[event.KindAlert] != 1 || res.Deleted[event.KindState] != 1 {
		t.Fatalf("other kinds not processed: calls %v, result %+v", f.calls, res)
	}
}

// TestRunTicksAndStops drives the job with a fake clock that advances a day
// per run and checks it keeps running on the ticker and returns when the
// context is cancelled.
func TestRunTicksAndStops(t *testing.T) {
	f := &fakeStore{}
	var mu sync.Mutex
	clock := now
	fakeNow := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(24 * time.Hour)
		return clock
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		New(f, Config{Interval: time.Millisecond}, nil, fakeNow).Run(ctx)
		close(done)
	}()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.calls)
		f.mu.Unlock()
		if n >= 9 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("only %d deletions after 10s", n)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// Each run uses a later clock reading.
	if !f.calls[3].t.After(f.calls[0].t) || !f.calls[6].t.After(f.calls[3].t) {
		t.Errorf("cutoffs do not advance with the clock: %v", f.calls[:9])
	}
}

// TestRetentionOnSQLite runs the job against the real embedded store.
func TestRetentionOnSQLite(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mk := func(kind string, age time.Duration) event.Event {
		e := event.New(kind, "test", "x")
		e.Timestamp = now.Add(-age)
		return e
	}
	day := 24 * time.Hour
	evs := []event.Event{
		mk(event.KindEvent, 200*day), mk(event.KindEvent, 181*day), mk(event.KindEvent, 179*day),
		mk(event.KindAlert, 200*day), mk(event.KindAlert, 10*day),
		mk(event.KindState, 2*day), mk(event.KindState, 0),
	}
	if _, err := s.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, store.Session{Hash: "old", ExpiresAt: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	res, err := New(s, Config{State: day}, nil, nil).RunOnce(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{event.KindEvent: 2, event.KindAlert: 1, event.KindState: 1}
	for k, n := range want {
		if res.Deleted[k] != n {
			t.Errorf("deleted %d %s, want %d", res.Deleted[k], k, n)
		}
	}
	if res.Sessions != 1 {
		t.Errorf("purged %d sessions, want 1", res.Sessions)
	}
	left, err := s.CountEvents(ctx, store.EventQuery{})
	if err != nil || left != 3 {
		t.Fatalf("%d events left (%v), want 3", left, err)
	}
}
