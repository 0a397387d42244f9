package spool

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkAppend measures the fsync policies with 400-byte events, the
// typical size of a JSON-encoded process event, appended in batches.
func BenchmarkAppend(b *testing.B) {
	rec := make([]byte, 400)
	for _, policy := range []struct {
		name string
		sync time.Duration
	}{{"fsync-each", 0}, {"group-100ms", 100 * time.Millisecond}, {"no-fsync", -1}} {
		for _, batch := range []int{1, 100} {
			b.Run(fmt.Sprintf("%s/batch=%d", policy.name, batch), func(b *testing.B) {
				s, err := Open(b.TempDir(), Options{SyncInterval: policy.sync, MaxBytes: 1 << 30})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				recs := make([][]byte, batch)
				for i := range recs {
					recs[i] = rec
				}
				b.SetBytes(int64(len(rec) * batch))
				for b.Loop() {
					if err := s.Append(recs...); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkPeekAck measures the reader: batches of 1000 events.
func BenchmarkPeekAck(b *testing.B) {
	s, err := Open(b.TempDir(), Options{SyncInterval: -1, MaxBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rec := make([]byte, 400)
	recs := make([][]byte, 1000)
	for i := range recs {
		recs[i] = rec
	}
	b.SetBytes(int64(len(rec) * 1000))
	for b.Loop() {
		b.StopTimer()
		if err := s.Append(recs...); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		bt, err := s.Peek(1000, 1<<20)
		if err != nil || len(bt.Records) != 1000 {
			b.Fatal(err, len(bt.Records))
		}
		if err := s.Ack(bt.Next); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "events/s")
}
