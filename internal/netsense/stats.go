package netsense

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Stats counts what a sensor saw.
type Stats struct {
	Packets, WireBytes, CapturedBytes uint64
	First, Last                       int64
	Decode                            map[string]uint64 // packets not analysed, by reason
	Flows, FlowsExpired, FlowsEvicted uint64
	FragReassembled, FragDropped      int
	Apps                              map[string]uint64 // TCP flows by recognised protocol
	Records                           uint64
	Alerts, Suppressed                int
	Rules                             map[string]int // alerts by rule id
}

// WriteSummary prints the end-of-run table.
func (s Stats) WriteSummary(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	dur := time.Duration(s.Last - s.First)
	fmt.Fprintf(tw, "packets\t%d\n", s.Packets)
	fmt.Fprintf(tw, "bytes on the wire\t%d (captured %d)\n", s.WireBytes, s.CapturedBytes)
	if s.First > 0 {
		fmt.Fprintf(tw, "capture time\t%s .. %s (%s)\n", time.Unix(0, s.First).UTC().Format(time.RFC3339),
			time.Unix(0, s.Last).UTC().Format(time.RFC3339), dur.Round(time.Millisecond))
	}
	fmt.Fprintf(tw, "flows\t%d (expired %d, evicted %d)\n", s.Flows, s.FlowsExpired, s.FlowsEvicted)
	fmt.Fprintf(tw, "ip fragments\treassembled %d, dropped %d\n", s.FragReassembled, s.FragDropped)
	fmt.Fprintf(tw, "protocol records\t%d\n", s.Records)
	fmt.Fprintf(tw, "tcp applications\t%s\n", joinCounts(s.Apps))
	if len(s.Decode) > 0 {
		fmt.Fprintf(tw, "not analysed\t%s\n", joinCounts(s.Decode))
	}
	fmt.Fprintf(tw, "alerts\t%d (%d repeats suppressed)\n", s.Alerts, s.Suppressed)
	tw.Flush()
	if len(s.Rules) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "RULE\tALERTS\n")
	ids := make([]string, 0, len(s.Rules))
	for id := range s.Rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(tw, "%s\t%d\n", id, s.Rules[id])
	}
	tw.Flush()
}

func joinCounts[V int | uint64](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
