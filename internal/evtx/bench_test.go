package evtx

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

// benchFiles loads every corpus sample into memory so that the benchmark
// measures parsing, not the disk.
func benchFiles(b *testing.B) ([][]byte, int64) {
	b.Helper()
	dir := corpus.Dir(b, "evtx/samples")
	var files [][]byte
	var total int64
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".evtx" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, data)
		total += int64(len(data))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return files, total
}

// benchmarkCorpus reads every record of every sample and applies use to it.
func benchmarkCorpus(b *testing.B, use func(*Record)) {
	files, total := benchFiles(b)
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	records := 0
	for i := 0; i < b.N; i++ {
		for _, data := range files {
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{})
			if err != nil {
				b.Fatal(err)
			}
			for {
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				use(rec)
				records++
			}
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	reportCPU(b, cpu0, total)
}

// reportCPU adds throughput per CPU-second (all threads of the process, GC
// included): on a shared machine wall time also counts waiting for a core.
func reportCPU(b *testing.B, cpu0 float64, total int64) {
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(total)*float64(b.N)/1e6/cpu, "MB/cpu-s")
	}
}

// BenchmarkParse: records parsed (BinXML and values located), not rendered.
func BenchmarkParse(b *testing.B) { benchmarkCorpus(b, func(*Record) {}) }

// BenchmarkFields: what a Sigma hunt does — parse and build the field map.
func BenchmarkFields(b *testing.B) {
	benchmarkCorpus(b, func(r *Record) { _ = r.Fields() })
}

// BenchmarkXML: parse and render XML, the work evtxexport -f xml does.
func BenchmarkXML(b *testing.B) {
	var buf []byte
	benchmarkCorpus(b, func(r *Record) { buf, _ = r.AppendXML(buf[:0]) })
}

// BenchmarkFieldsParallel reads chunks on all cores through ReadChunk.
func BenchmarkFieldsParallel(b *testing.B) {
	files, total := benchFiles(b)
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	defer func() { reportCPU(b, cpu0, total) }()
	workers := runtime.GOMAXPROCS(0)
	for i := 0; i < b.N; i++ {
		for _, data := range files {
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{})
			if err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			next := make(chan int)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for c := range next {
						recs, _ := r.ReadChunk(c)
						for _, rec := range recs {
							_ = rec.Fields()
						}
					}
				}()
			}
			for c := 0; c < r.Chunks(); c++ {
				next <- c
			}
			close(next)
			wg.Wait()
		}
	}
}

// BenchmarkLibevtxExport runs libevtx's evtxexport -f xml (Debian package
// libevtx-utils) over the same files, one process per file as the corpus
// reference does, so that both figures come from the same run. Skipped when
// evtxexport is not installed.
func BenchmarkLibevtxExport(b *testing.B) {
	bin, err := exec.LookPath("evtxexport")
	if err != nil {
		b.Skip("evtxexport not installed (apt-get install libevtx-utils)")
	}
	dir := corpus.Dir(b, "evtx/samples")
	var paths []string
	var total int64
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".evtx" {
			if st, err := d.Info(); err == nil {
				paths = append(paths, p)
				total += st.Size()
			}
		}
		return nil
	})
	b.SetBytes(total)
	b.ResetTimer()
	cpu0 := childCPUSeconds()
	records := 0
	for i := 0; i < b.N; i++ {
		for _, p := range paths {
			out, _ := exec.Command(bin, "-f", "xml", p).Output() // exits 1 on some damaged files
			records += bytes.Count(out, []byte("<Event xmlns"))
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	if cpu := childCPUSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(total)*float64(b.N)/1e6/cpu, "MB/cpu-s")
	}
}
