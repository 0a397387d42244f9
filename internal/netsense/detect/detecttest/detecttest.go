// Package detecttest runs crafted packets through a sensor with chosen
// detectors, for the detectors' unit tests. Only tests import it.
package detecttest

import (
	"sort"
	"testing"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/ioc"
	"github.com/medshield/medshield/internal/netsense"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/capture"
)

// Run analyses packets (sorted by time) and returns the alerts. cfg and
// set may be nil.
func Run(t testing.TB, cfg *analysis.Config, set *ioc.Set, det analysis.Detector, pkts ...[]capture.Packet) []event.Event {
	t.Helper()
	var all []capture.Packet
	for _, p := range pkts {
		all = append(all, p...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].TimeNanos < all[j].TimeNanos })
	s, err := netsense.New(netsense.Options{Config: cfg, IOC: set, Detectors: []analysis.Detector{det}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		s.Packet(p)
	}
	s.Flush()
	return s.Alerts()
}

// Rules returns "rule src->dst" strings of alerts, for compact assertions.
func Rules(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Rule.ID+" "+e.Source.IP+"->"+e.Destination.IP)
	}
	return out
}
