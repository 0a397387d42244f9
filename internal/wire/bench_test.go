package wire

import (
	"encoding/json"
	"testing"
)

// Batches of 1000 realistic process events, the uploader's typical size.
func BenchmarkEncode(b *testing.B) {
	evs := sampleEvents(1000)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		body, err := Encode(evs)
		if err != nil {
			b.Fatal(err)
		}
		size = len(body)
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(size), "body-bytes")
	raw := 0
	for i := range evs {
		j, _ := json.Marshal(&evs[i])
		raw += len(j) + 1
	}
	b.ReportMetric(float64(raw)/float64(size), "ratio")
}

func BenchmarkDecode(b *testing.B) {
	evs := sampleEvents(1000)
	body, err := Encode(evs)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBytes(body, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}
