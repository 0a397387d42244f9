package hunt

import (
	"testing"

	"github.com/medshield/medshield/internal/sigma"
)

func BenchmarkZZSysmon1(b *testing.B) {
	rs := loadWindowsRules(b)
	var evs []sigma.StringsEvent
	for _, e := range sampleEvents(b) {
		if e["Channel"] == "Microsoft-Windows-Sysmon/Operational" && e["EventID"] == "1" {
			evs = append(evs, e)
		}
	}
	b.Logf("%d sysmon-1 events", len(evs))
	m := rs.NewMatcher()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		m.Match(evs[i%len(evs)])
	}
	reportRate(b, float64(b.N), cpuTime()-cpu0)
}
