package posture_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/posture"
	"github.com/medshield/medshield/internal/posture/posturetest"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/vuln/inventory"
)

// memStore is an in-memory posture.Store: every host has the same
// inventory; summaries are kept per host so history lookups do real work.
type memStore struct {
	mu     sync.Mutex
	agents []store.Agent
	inv    event.Event
	sums   map[string]event.Event
	stored int
}

func (m *memStore) ListAgents(context.Context, string) ([]store.Agent, error) { return m.agents, nil }

func (m *memStore) QueryEvents(_ context.Context, q store.EventQuery) (store.EventPage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch q.Fields["event.dataset"] {
	case posture.DatasetPackages:
		ev := m.inv
		ev.HostID = q.HostID
		return store.EventPage{Events: []event.Event{ev}}, nil
	case posture.DatasetSummary:
		if s, ok := m.sums[q.HostID]; ok {
			return store.EventPage{Events: []event.Event{s}}, nil
		}
	}
	return store.EventPage{}, nil
}

func (m *memStore) AppendEvents(_ context.Context, evs []event.Event) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range evs {
		if e.Dataset == posture.DatasetSummary {
			m.sums[e.HostID] = e
		}
	}
	m.stored += len(evs)
	return len(evs), nil
}

// BenchmarkRematch re-matches 1,000 copies of the recorded Debian 12 host
// (753 packages) against a database affecting 100 of its source packages:
// decoding, matching (shared through a Batch), history lookup and building
// the events, without the SQL store.
func BenchmarkRematch(b *testing.B) {
	dir := corpus.Dir(b, "vuln/inventory")
	src, err := posture.Collect(context.Background(), inventory.Options{OnlyExplicit: true, NoLive: true,
		DpkgStatus: filepath.Join(dir, "dpkg-status-debian12-bookworm"), OSRelease: filepath.Join(dir, "os-release-debian12")})
	if err != nil {
		b.Fatal(err)
	}
	inv, _ := posture.Inventory(src)
	seen := map[string]bool{}
	var names []string
	for _, p := range inv.Packages {
		if n, _ := p.Source(); !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var recs []posturetest.Record
	for i, n := range names[:100] {
		recs = append(recs, posturetest.Record{ID: fmt.Sprintf("DSA-%d-1", 8000+i), CVE: fmt.Sprintf("CVE-2098-%04d", i),
			Ecosystem: "Debian:12", Package: n, Fixed: "99:0", CVSS: high})
	}
	data := b.TempDir()
	posturetest.Import(b, data, "bench", recs...)
	const hosts = 1000
	st := &memStore{inv: src, sums: map[string]event.Event{}}
	for i := 0; i < hosts; i++ {
		st.agents = append(st.agents, store.Agent{ID: fmt.Sprintf("host-%04d", i)})
	}
	det := posture.NewDetector(data, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.ResetTimer()
	for b.Loop() {
		n, err := det.Rematch(context.Background(), st)
		if err != nil || n != hosts {
			b.Fatal(n, err)
		}
	}
	b.StopTimer()
	if s := st.sums["host-0001"]; posture.IntField(s, "findings.count") != 100 || !strings.Contains(s.Message, "100 findings") {
		b.Fatalf("summary: %v", s.Message)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*hosts), "µs/host")
}
