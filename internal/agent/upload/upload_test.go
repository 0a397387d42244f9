package upload

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/agent/spool"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/wire"
)

// server is a TLS ingest endpoint that decodes with internal/wire, stores
// events by id (ignoring duplicates, as the real server does) and lets each
// test inject failures through hook.
type server struct {
	*httptest.Server
	limits wire.Limits

	mu       sync.Mutex
	requests int
	stored   map[string]bool
	hook     func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newServer(t testing.TB, hook func(n int, w http.ResponseWriter, r *http.Request) bool) *server {
	s := &server{stored: map[string]bool{}, hook: hook}
	s.Server = httptest.NewUnstartedServer(s)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := s.requests
	s.requests++
	s.mu.Unlock()
	if s.hook != nil && s.hook(n, w, r) {
		return
	}
	if r.Header.Get("Content-Encoding") != "gzip" {
		http.Error(w, "want gzip", http.StatusUnsupportedMediaType)
		return
	}
	evs, err := wire.Decode(r.Body, s.limits)
	var we *wire.Error
	if errors.As(err, &we) {
		w.WriteHeader(we.HTTPStatus())
		json.NewEncoder(w).Encode(we.Rejection())
		return
	}
	var ack wire.Ack
	s.mu.Lock()
	for _, e := range evs {
		if s.stored[e.ID] {
			ack.Duplicates++
		} else {
			s.stored[e.ID] = true
			ack.Accepted++
		}
	}
	s.mu.Unlock()
	json.NewEncoder(w).Encode(ack)
}

func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stored)
}

// fill appends n valid events to a new spool and returns it with their ids.
func fill(t *testing.T, n int) (*spool.Spool, []string) {
	t.Helper()
	sp, err := spool.Open(t.TempDir(), spool.Options{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	ids := make([]string, n)
	for i := range ids {
		ev := event.New(event.KindEvent, "test.upload", "emit")
		ev.Message = "event " + strings.Repeat("m", i%50)
		b, _ := json.Marshal(ev)
		if err := sp.Append(b); err != nil {
			t.Fatal(err)
		}
		ids[i] = ev.ID
	}
	return sp, ids
}

func newUploader(t *testing.T, srv *server, sp *spool.Spool, mod func(*Options)) *Uploader {
	t.Helper()
	o := Options{
		URL: srv.URL + "/api/v1/events", Client: srv.Client(), Source: sp,
		MaxEvents: 100, BackoffBase: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		RequestTimeout: 2 * time.Second, IdlePoll: 20 * time.Millisecond,
		Rand: rand.New(rand.NewPCG(1, 2)),
	}
	if mod != nil {
		mod(&o)
	}
	u, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// runUntil runs the uploader until cond holds (or 20 s pass) and stops it.
func runUntil(t *testing.T, u *Uploader, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("condition not reached; stats %+v", u.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}

func drained(sp *spool.Spool) func() bool {
	return func() bool { return sp.Stats().Records == 0 }
}

func TestUploaderDeliversEveryEventOnce(t *testing.T) {
	tests := []struct {
		name    string
		hook    func(n int, w http.ResponseWriter, r *http.Request) bool
		retries bool
	}{
		{"healthy server", nil, false},
		{"fails 3 times with 503", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n < 3 {
				w.Header().Set("Retry-After", "0")
				http.Error(w, "overloaded", http.StatusServiceUnavailable)
				return true
			}
			return false
		}, true},
		{"500 on every other request", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n%2 == 0 {
				http.Error(w, "boom", http.StatusInternalServerError)
				return true
			}
			return false
		}, true},
		{"connection dropped mid-request", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n < 2 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return true
			}
			return false
		}, true},
		{"403 while the agent is not yet known", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n < 2 {
				http.Error(w, "unknown agent", http.StatusForbidden)
				return true
			}
			return false
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const n = 750
			sp, ids := fill(t, n)
			srv := newServer(t, tc.hook)
			u := newUploader(t, srv, sp, nil)
			runUntil(t, u, drained(sp))
			if got := srv.count(); got != n {
				t.Errorf("server stored %d distinct events, want %d", got, n)
			}
			for _, id := range ids {
				if !srv.stored[id] {
					t.Fatalf("event %s never arrived", id)
				}
			}
			st := u.Stats()
			if st.Events != n || st.RejectedEvents != 0 || (st.Retries > 0) != tc.retries {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestUploaderQuarantinesPoisonBatch(t *testing.T) {
	sp, _ := fill(t, 250)
	// A record that is JSON but not a valid event: the real decoder refuses
	// the whole batch holding it with 400.
	poison := `{"@timestamp":"2026-11-29T08:00:00Z","event.id":"poison","event.kind":"event"}`
	if err := sp.Append([]byte(poison)); err != nil {
		t.Fatal(err)
	}
	for range 120 {
		ev := event.New(event.KindEvent, "test.upload", "emit")
		b, _ := json.Marshal(ev)
		sp.Append(b)
	}
	srv := newServer(t, nil)
	u := newUploader(t, srv, sp, nil) // batches of 100: events 200-300 share the poison's batch
	runUntil(t, u, drained(sp))
	st := u.Stats()
	// Only the poison event is quarantined; its batch neighbours arrive.
	if st.RejectedBatches != 1 || st.RejectedEvents != 1 || st.Events != 250+120 {
		t.Errorf("stats %+v: want exactly the poison event rejected, 370 delivered", st)
	}
	if srv.count() != int(st.Events) {
		t.Errorf("server stored %d, uploader counted %d", srv.count(), st.Events)
	}
	rej, err := os.ReadFile(filepath.Join(sp.Dir(), "rejected.ndjson"))
	if err != nil || !strings.Contains(string(rej), poison) || !strings.Contains(string(rej), "invalid_event") {
		t.Errorf("reject file lacks the poison record and reason: %v\n%.300s", err, rej)
	}
	if sp.Stats().Rejected != st.RejectedEvents {
		t.Errorf("spool counted %d rejected, uploader %d", sp.Stats().Rejected, st.RejectedEvents)
	}
}

func TestUploaderHalvesBatchesTheServerFindsTooLarge(t *testing.T) {
	sp, _ := fill(t, 600)
	srv := newServer(t, nil)
	srv.limits = wire.Limits{MaxEvents: 40}
	u := newUploader(t, srv, sp, func(o *Options) { o.MaxEvents = 300 })
	runUntil(t, u, drained(sp))
	if st := u.Stats(); st.RejectedEvents != 0 || srv.count() != 600 {
		t.Errorf("stats %+v, stored %d: want all 600 delivered, none rejected", st, srv.count())
	}
}

func TestUploaderRetriesSlowServer(t *testing.T) {
	sp, _ := fill(t, 300)
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 {
			time.Sleep(400 * time.Millisecond) // longer than the request timeout
		}
		return false // then store it anyway: the retry is a duplicate
	})
	u := newUploader(t, srv, sp, func(o *Options) { o.RequestTimeout = 150 * time.Millisecond })
	runUntil(t, u, drained(sp))
	st := u.Stats()
	if srv.count() != 300 || st.Retries == 0 {
		t.Errorf("stored %d, stats %+v: want 300 stored after a timeout retry", srv.count(), st)
	}
}

func TestUploaderWaitsOutServerRestart(t *testing.T) {
	sp, _ := fill(t, 400)
	release := make(chan struct{})
	first := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) bool {
		<-release // hang, as a server does when it is killed mid-request
		return true
	})
	addr := first.Listener.Addr().String()
	u := newUploader(t, first, sp, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	time.Sleep(100 * time.Millisecond)
	first.CloseClientConnections() // the "kill": connections reset
	first.Listener.Close()
	close(release)
	time.Sleep(200 * time.Millisecond) // connection refused meanwhile

	second := &server{stored: map[string]bool{}}
	second.Server = httptest.NewUnstartedServer(second)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot rebind %s: %v", addr, err)
	}
	second.Listener = ln
	second.StartTLS() // the same built-in test certificate as before
	defer second.Close()
	deadline := time.Now().Add(20 * time.Second)
	for sp.Stats().Records > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if second.count() != 400 || u.Stats().Retries == 0 {
		t.Errorf("restarted server stored %d, stats %+v", second.count(), u.Stats())
	}
}

func TestUploaderStopsOnCancel(t *testing.T) {
	for _, tc := range []struct {
		name      string
		grace     time.Duration
		wantAcked bool
	}{
		{"cancel abandons the in-flight batch", 0, false},
		{"grace lets the in-flight batch finish", 2 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, _ := fill(t, 50)
			entered := make(chan struct{})
			srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 0 {
					close(entered)
					time.Sleep(300 * time.Millisecond)
				}
				return false
			})
			u := newUploader(t, srv, sp, func(o *Options) { o.ShutdownGrace = tc.grace })
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- u.Run(ctx) }()
			<-entered
			cancel()
			start := time.Now()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
			left := sp.Stats().Records
			if tc.wantAcked && left != 0 {
				t.Errorf("%d events left in spool; the committed batch should be acknowledged", left)
			}
			if !tc.wantAcked {
				if left != 50 {
					t.Errorf("%d events left in spool, want all 50 kept", left)
				}
				if time.Since(start) > 200*time.Millisecond {
					t.Errorf("took %v to stop without grace", time.Since(start))
				}
			}
		})
	}
}

func TestBackoffIsCappedFullJitter(t *testing.T) {
	u, err := New(Options{URL: "https://x", Client: http.DefaultClient, Source: &spool.Spool{},
		BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second, Rand: rand.New(rand.NewPCG(3, 4))})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		attempt int
		ceil    time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {4, 800 * time.Millisecond}, {5, time.Second}, {60, time.Second}} {
		var lo, hi time.Duration = time.Hour, 0
		for range 2000 {
			d := u.backoff(tc.attempt)
			lo, hi = min(lo, d), max(hi, d)
		}
		if hi > tc.ceil || hi < tc.ceil*9/10 || lo > tc.ceil/10 {
			t.Errorf("attempt %d: delays in [%v, %v], want spread over [0, %v]", tc.attempt, lo, hi, tc.ceil)
		}
	}
}

func TestUploaderAndSpoolLeaveNoGoroutines(t *testing.T) {
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 1 {
			http.Error(w, "retry me", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	client := srv.Client()
	before := runtime.NumGoroutine()
	sp, err := spool.Open(t.TempDir(), spool.Options{SyncInterval: 10 * time.Millisecond}) // starts a flusher
	if err != nil {
		t.Fatal(err)
	}
	for range 300 {
		b, _ := json.Marshal(event.New(event.KindEvent, "test", "leak"))
		sp.Append(b)
	}
	u := newUploader(t, srv, sp, func(o *Options) { o.ShutdownGrace = time.Second })
	runUntil(t, u, drained(sp))
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	client.CloseIdleConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after stop, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestUploaderQuarantinesSingleEventTheServerFindsTooLarge(t *testing.T) {
	sp, _ := fill(t, 40)
	big := event.New(event.KindEvent, "test.upload", "emit")
	big.Message = strings.Repeat("x", 2000)
	b, _ := json.Marshal(big)
	sp.Append(b)
	for range 40 {
		b, _ := json.Marshal(event.New(event.KindEvent, "test.upload", "emit"))
		sp.Append(b)
	}
	srv := newServer(t, nil)
	srv.limits = wire.Limits{MaxLine: 1000} // 413 line_too_long for any batch holding big
	u := newUploader(t, srv, sp, func(o *Options) { o.MaxEvents = 32 })
	runUntil(t, u, drained(sp))
	st := u.Stats()
	// Narrowing isolates the oversized event; only it is quarantined.
	if st.RejectedEvents != 1 || st.RejectedBatches != 1 || srv.count() != 80 || srv.stored[big.ID] {
		t.Errorf("stats %+v, stored %d: want exactly the oversized event quarantined, 80 delivered", st, srv.count())
	}
}

func TestNarrowIsolatesTheFault(t *testing.T) {
	for _, tc := range []struct{ n, line, want int }{
		{100, 0, 50}, {100, 1, 1}, {100, 37, 36}, {100, 100, 99}, {100, 101, 50}, {2, 0, 1}, {2, 2, 1},
	} {
		if got := narrow(tc.n, tc.line); got != tc.want {
			t.Errorf("narrow(%d, line %d) = %d, want %d", tc.n, tc.line, got, tc.want)
		}
	}
}
