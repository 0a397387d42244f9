package storetest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
)

// BenchOpener returns a fresh, empty store for a benchmark.
type BenchOpener func(b *testing.B) store.Store

// BenchAppend measures AppendEvents throughput: batches of batch events
// from writers concurrent goroutines, b.N events in total, reported as
// events/s. Event content comes from GenEvents (about 600 bytes of JSON on
// average, like a process or network event) with fresh ids.
func BenchAppend(b *testing.B, open BenchOpener) { BenchAppendServer(b, open, nil) }

// BenchAppendServer is BenchAppend that also reports the CPU time used
// outside this process, as measured by serverCPU (for example the
// PostgreSQL server processes), as server-cpu-µs/event.
func BenchAppendServer(b *testing.B, open BenchOpener, serverCPU func() time.Duration) {
	for _, batch := range []int{100, 1000} {
		for _, writers := range []int{1, 10} {
			b.Run(fmt.Sprintf("batch=%d/writers=%d", batch, writers), func(b *testing.B) {
				benchAppend(b, open(b), batch, writers, serverCPU)
			})
		}
	}
}

func benchAppend(b *testing.B, s store.Store, batch, writers int, serverCPU func() time.Duration) {
	ctx := context.Background()
	tmpl := GenEvents(99, 4096)
	var seq atomic.Uint64
	var next atomic.Int64
	b.ResetTimer()
	var srv0 time.Duration
	if serverCPU != nil {
		srv0 = serverCPU()
	}
	start, cpu0 := time.Now(), cpuTime()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]event.Event, 0, batch)
			for {
				lo := next.Add(int64(batch)) - int64(batch)
				if lo >= int64(b.N) {
					return
				}
				n := min(int64(batch), int64(b.N)-lo)
				buf = buf[:0]
				for i := int64(0); i < n; i++ {
					k := seq.Add(1)
					e := tmpl[k%uint64(len(tmpl))]
					e.ID = seqID(k)
					e.Timestamp = base.Add(time.Duration(k) * time.Microsecond)
					buf = append(buf, e)
				}
				got, err := s.AppendEvents(ctx, buf)
				if err != nil {
					b.Error(err)
					return
				}
				if got != len(buf) {
					b.Errorf("inserted %d of %d", got, len(buf))
					return
				}
			}
		}()
	}
	wg.Wait()
	el, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
	if cpu > 0 {
		// CPU of the whole process (database included, for PostgreSQL
		// only the client side).
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
	}
	if serverCPU != nil {
		if srv := serverCPU() - srv0; srv > 0 {
			b.ReportMetric(float64(srv.Microseconds())/float64(b.N), "server-cpu-µs/event")
		}
	}
}

// seqID is a valid, unique UUID derived from a counter (cheaper than
// crypto-random v7 ids, which the agent generates, not the server).
func seqID(k uint64) string {
	var u uuid.UUID
	for i := 0; i < 8; i++ {
		u[15-i] = byte(k >> (8 * i))
	}
	u[0] = 0x01
	u[6] = 0x70
	u[8] = 0x80
	return u.String()
}

// BenchQuery measures query latency on a store preloaded with
// MEDSHIELD_BENCH_EVENTS events (default 100000).
func BenchQuery(b *testing.B, open BenchOpener) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("MEDSHIELD_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	s := open(b)
	ctx := context.Background()
	evs := GenEvents(7, n)
	for i := 0; i < n; i += 1000 {
		if _, err := s.AppendEvents(ctx, evs[i:min(i+1000, n)]); err != nil {
			b.Fatal(err)
		}
	}
	mid := evs[n/2].Timestamp
	queries := []struct {
		name string
		q    store.EventQuery
	}{
		{"newest-page", store.EventQuery{}},
		{"host", store.EventQuery{HostID: "host-c"}},
		{"kind-alert", store.EventQuery{Kind: event.KindAlert}},
		{"rule", store.EventQuery{RuleID: "yara-7"}},
		{"time-range", store.EventQuery{From: mid, To: mid.Add(time.Second)}},
		{"text", store.EventQuery{Text: "disk full"}},
		{"field-string", store.EventQuery{Fields: map[string]string{"process.command_line": "notepad.exe"}}},
		{"field-rare", store.EventQuery{Fields: map[string]string{"nested.deep.key": "no-such-value"}}},
		{"field-rare-host", store.EventQuery{HostID: "host-a", Fields: map[string]string{"nested.deep.key": "no-such-value"}}},
	}
	for _, qc := range queries {
		b.Run("page/"+qc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := s.QueryEvents(ctx, qc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("page/deep-cursor", func(b *testing.B) {
		// The 50th page of 100: cursors must not cost like offsets.
		q := store.EventQuery{}
		for i := 0; i < 50; i++ {
			p, err := s.QueryEvents(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			q.Cursor = p.Next
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.QueryEvents(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, qc := range queries[:3] {
		b.Run("count/"+qc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := s.CountEvents(ctx, qc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
