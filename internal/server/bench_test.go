package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/store/postgres"
	"github.com/medshield/medshield/internal/wire"
)

// BenchmarkIngestHTTPS measures sustained ingest through the real HTTPS API
// (mutual TLS, gzip JSON lines, validation, one transaction per batch) into
// SQLite, with 1, 10 and 100 concurrent agents each sending 1,000-event
// batches. The client runs in the same process, so the figure includes the
// agents' TLS and gzip work on the same 2 cores.
func BenchmarkIngestHTTPS(b *testing.B) {
	for _, agents := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("sqlite/agents=%d", agents), func(b *testing.B) {
			benchIngest(b, agents, func() *servertest.Server { return servertest.Start(b) })
		})
	}
	dsn := os.Getenv("MEDSHIELD_TEST_POSTGRES")
	for _, agents := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("postgres/agents=%d", agents), func(b *testing.B) {
			if dsn == "" {
				b.Skip("MEDSHIELD_TEST_POSTGRES not set")
			}
			benchIngest(b, agents, func() *servertest.Server {
				schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
				st, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { dropSchema(dsn, schema) })
				return servertest.StartWith(b, st, b.TempDir())
			})
		})
	}
}

func benchIngest(b *testing.B, agents int, newServer func() *servertest.Server) {
	if testing.Short() {
		b.Skip("short")
	}
	s := newServer()
	tok := s.CreateToken(b, "Bench Hospital", "IT", agents, "1h")
	clients := make([]*http.Client, agents)
	for i := range clients {
		clients[i] = enrollB(b, s, tok)
	}
	const batch = 1000
	bodies := make([][]byte, b.N)
	for i := range bodies {
		evs := make([]event.Event, batch)
		for j := range evs {
			ev := event.New(event.KindEvent, "bench", "process_start")
			ev.Message = "C:\\Windows\\System32\\svchost.exe -k netsvcs -p -s Schedule"
			ev.Process = &event.Process{PID: 4242 + j, Name: "svchost.exe", CommandLine: "svchost.exe -k netsvcs"}
			ev.Labels = map[string]string{"seq": fmt.Sprint(i*batch + j)}
			evs[j] = ev
		}
		body, err := wire.Encode(evs)
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
	}
	work := make(chan []byte, len(bodies))
	for _, body := range bodies {
		work <- body
	}
	close(work)
	runtime.GC()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < agents; i++ {
		wg.Add(1)
		go func(c *http.Client) {
			defer wg.Done()
			for body := range work {
				code, msg := postBatchB(c, s.URL, body)
				if code != 200 {
					b.Errorf("status %d: %s", code, msg)
					return
				}
			}
		}(clients[i])
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(b.N*batch)/el.Seconds(), "events/s")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapMiB")
}

func enrollB(b *testing.B, s *servertest.Server, tok string) *http.Client {
	dir, err := os.MkdirTemp("", "ms-bench-agent")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return enrollClient(b, s, tok, dir)
}

// dropSchema removes a benchmark's PostgreSQL schema.
func dropSchema(dsn, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
}
