package upload

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/medshield/medshield/internal/agent/spool"
	"github.com/medshield/medshield/internal/event"
)

// BenchmarkUploadPipeline measures spool -> wire -> HTTPS -> decode for
// batches of 1000 events on one loopback TLS connection.
func BenchmarkUploadPipeline(b *testing.B) {
	srv := newServer(b, nil)
	sp, err := spool.Open(b.TempDir(), spool.Options{SyncInterval: -1, MaxBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	ev := event.New(event.KindEvent, "linux.exec", "start")
	ev.Process = &event.Process{PID: 4242, Name: "bash", CommandLine: "bash -c 'id; uname -a'"}
	ev.HostName, ev.Message = "ward3-pc", "process started"
	recs := make([][]byte, 1000)
	u, err := New(Options{URL: srv.URL, Client: srv.Client(), Source: sp, MaxEvents: 1000})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		for i := range recs {
			ev.ID = event.NewID()
			recs[i], _ = json.Marshal(ev)
		}
		sp.Append(recs...)
		b.StartTimer()
		if n, err := u.Step(context.Background()); err != nil || n != 1000 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "events/s")
}
