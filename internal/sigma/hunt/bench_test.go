package hunt

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/evtx"
	"github.com/medshield/medshield/internal/sigma"
)

// windowsRuleDirs hold the SigmaHQ rules for Windows logs.
var windowsRuleDirs = []string{"rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows", "rules-placeholder/windows", "rules-dfir/windows"}

// loadWindowsRules loads every SigmaHQ Windows rule of the corpus.
func loadWindowsRules(b *testing.B) *sigma.RuleSet {
	b.Helper()
	root := corpus.Dir(b, "sigma")
	var paths []string
	for _, d := range windowsRuleDirs {
		if _, err := os.Stat(filepath.Join(root, d)); err == nil {
			paths = append(paths, filepath.Join(root, d))
		}
	}
	rs, _, err := sigma.LoadPaths(paths, sigma.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return rs
}

// sampleEvents reads every record of corpora/evtx/samples into memory.
func sampleEvents(b *testing.B) []sigma.StringsEvent {
	b.Helper()
	dir := corpus.Dir(b, "evtx/samples")
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".evtx" {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	var evs []sigma.StringsEvent
	for _, p := range files {
		f, err := evtx.Open(p, evtx.Options{})
		if err != nil {
			continue
		}
		for {
			rec, err := f.Next()
			if err != nil {
				break
			}
			evs = append(evs, sigma.WindowsFields(rec.Fields()))
		}
		f.Close()
	}
	return evs
}

// BenchmarkMatchWindowsRules measures matching alone: every SigmaHQ
// Windows rule against the corpus events, already parsed, on one core.
func BenchmarkMatchWindowsRules(b *testing.B) {
	rs := loadWindowsRules(b)
	evs := sampleEvents(b)
	m := rs.NewMatcher()
	b.Logf("%d rules loaded, %d events", rs.Stats.Loaded, len(evs))
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		m.Match(evs[i%len(evs)])
	}
	reportRate(b, float64(b.N), cpuTime()-cpu0)
}

// BenchmarkHunt measures the whole hunt (EVTX parsing, matching,
// correlation, ordering) over corpora/evtx/samples with every SigmaHQ
// Windows rule, on one worker and on all cores.
func BenchmarkHunt(b *testing.B) {
	rs := loadWindowsRules(b)
	dir := corpus.Dir(b, "evtx/samples")
	for _, bc := range []struct {
		name    string
		workers int
	}{{"1core", 1}, {"allcores", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			var events, bytes int64
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				res, err := Run(context.Background(), []string{dir}, Options{Rules: rs, Workers: bc.workers, NoEvent: true})
				if err != nil {
					b.Fatal(err)
				}
				events += res.Stats.Events
				bytes += res.Stats.Bytes
			}
			reportRate(b, float64(events), cpuTime()-cpu0)
			b.SetBytes(bytes / int64(b.N))
		})
	}
}

// reportRate reports events per wall second and per CPU second (the
// latter is what one core does when the machine is shared).
func reportRate(b *testing.B, events float64, cpu time.Duration) {
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(events/cpu.Seconds(), "events/cpu-s")
	}
}

// BenchmarkMatchSysmonProcessCreation is the hardest case: Sysmon EventID
// 1 records, each routed to about 1,400 process_creation rules.
func BenchmarkMatchSysmonProcessCreation(b *testing.B) {
	rs := loadWindowsRules(b)
	var evs []sigma.StringsEvent
	for _, e := range sampleEvents(b) {
		if e["Channel"] == "Microsoft-Windows-Sysmon/Operational" && e["EventID"] == "1" {
			evs = append(evs, e)
		}
	}
	m := rs.NewMatcher()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		m.Match(evs[i%len(evs)])
	}
	reportRate(b, float64(b.N), cpuTime()-cpu0)
}
