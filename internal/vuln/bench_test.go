package vuln

import (
	"archive/zip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/internal/vuln/osv"
)

// Synthetic but realistically shaped data: osv.dev's Debian export has
// tens of thousands of DEBIAN-CVE records over a few thousand source
// packages, each with one ECOSYSTEM range per release.
const (
	benchSources = 3000
	benchRecords = 60000
	benchInstall = 2000
)

func benchVersion(i, patch int) string {
	return fmt.Sprintf("%d.%d.%d-%d+deb12u%d", 1+i%9, i%40, i%13, 1+i%4, patch)
}

// writeBenchZip writes an all.zip with benchRecords records and returns its
// path. Each record affects one source package in Debian:12 (and, like
// real records, older releases too), fixed at a patch level around what
// the bench inventory has installed so that about a tenth match.
func writeBenchZip(tb testing.TB) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "all.zip")
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	zw := zip.NewWriter(f)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < benchRecords; i++ {
		src := r.IntN(benchSources)
		fixedPatch := r.IntN(22) // installed patch level is 20: fixes at 21 match (~5%)
		w, _ := zw.Create(fmt.Sprintf("DEBIAN-CVE-2020-%05d.json", i))
		fmt.Fprintf(w, `{"schema_version":"1.7.0","id":"DEBIAN-CVE-2020-%05d","modified":"2024-01-01T00:00:00Z",
"upstream":["CVE-2020-%05d"],"details":"Synthetic record for benchmarks; real records carry a paragraph of text here.",
"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"}],
"affected":[
{"package":{"ecosystem":"Debian:11","name":"src%d"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"%s"}]}]},
{"package":{"ecosystem":"Debian:12","name":"src%d"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"%s"}]}]},
{"package":{"ecosystem":"Debian:13","name":"src%d"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`,
			i, i, src, benchVersion(src, fixedPatch), src, benchVersion(src, fixedPatch), src)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return p
}

func benchInventory() inventory.Inventory {
	var inv inventory.Inventory
	for i := 0; i < benchInstall; i++ {
		src := i * benchSources / benchInstall
		inv.Packages = append(inv.Packages, pkg("Debian:12", fmt.Sprintf("bin%d", i), benchVersion(src, 20), fmt.Sprintf("src%d", src), benchVersion(src, 20)))
	}
	return inv
}

func loadBenchDB(tb testing.TB, p string) *osv.DB {
	db := osv.NewDB()
	if err := db.Load(context.Background(), p); err != nil {
		tb.Fatal(err)
	}
	if db.Len() != benchRecords {
		tb.Fatalf("loaded %d records: %v", db.Len(), db.Problems[:min(3, len(db.Problems))])
	}
	return db
}

// BenchmarkLoadDB measures loading an all.zip and the heap the DB keeps.
func BenchmarkLoadDB(b *testing.B) {
	p := writeBenchZip(b)
	b.ResetTimer()
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c0 := cpuTime()
		db := loadBenchDB(b, p)
		b.ReportMetric((cpuTime() - c0).Seconds(), "cpu-s/load")
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-heap")
		runtime.KeepAlive(db)
	}
}

// BenchmarkMatch2000 matches a 2,000-package inventory (the target
// is < 100 ms after load).
func BenchmarkMatch2000(b *testing.B) {
	db := loadBenchDB(b, writeBenchZip(b))
	m := NewMatcher(db)
	inv := benchInventory()
	n := len(m.Match(inv))
	c0, runs := cpuTime(), 0
	for b.Loop() {
		m.Match(inv)
		runs++
	}
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(runs), "cpu-ms/op")
	b.ReportMetric(float64(n), "findings")
}

// BenchmarkRematch10000Hosts re-matches 10,000 stored inventories after a
// database update with a Batch (each host has the bench inventory with
// every 50th package at one of four patch levels: 50 host shapes).
func BenchmarkRematch10000Hosts(b *testing.B) {
	db := loadBenchDB(b, writeBenchZip(b))
	m := NewMatcher(db)
	base := benchInventory()
	hosts := make([]inventory.Inventory, 50) // 50 distinct shapes, reused 200×
	for h := range hosts {
		inv := inventory.Inventory{Packages: append([]inventory.Package(nil), base.Packages...)}
		for i := h; i < len(inv.Packages); i += 50 {
			src := i * benchSources / benchInstall
			v := benchVersion(src, 18+h%4)
			inv.Packages[i].Version, inv.Packages[i].SourceVersion = v, v
		}
		hosts[h] = inv
	}
	b.ResetTimer()
	for b.Loop() {
		start, c0 := time.Now(), cpuTime()
		total := 0
		batch := m.NewBatch()
		for i := 0; i < 10000; i++ {
			total += len(batch.Match(hosts[i%len(hosts)]))
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds())/10000, "ms/host")
		b.ReportMetric((cpuTime() - c0).Seconds(), "cpu-s/10k-hosts")
		b.ReportMetric(float64(total)/10000, "findings/host")
	}
}
