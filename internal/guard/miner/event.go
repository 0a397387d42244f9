package miner

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/medshield/medshield/internal/event"
)

// Event turns a finding into an alert event (rule "miner.process",
// ATT&CK T1496 Resource Hijacking); action says what was done ("alert",
// "killed", ...).
func (f Finding) Event(action string) event.Event {
	e := event.New(event.KindAlert, "medshield.guard", "miner-"+action)
	e.Timestamp = f.Time.UTC()
	e.Category = "process"
	e.Severity = event.SeverityMedium
	if f.Score >= 90 {
		e.Severity = event.SeverityHigh
	}
	e.Process = &event.Process{PID: f.PID, PPID: f.PPID, Name: f.Name, Executable: f.Exe, CommandLine: strings.Join(f.Cmdline, " ")}
	e.Rule = &event.Rule{ID: "miner.process", Name: "Cryptocurrency miner process", Ruleset: "medshield-guard"}
	e.Techniques = []string{"T1496"}
	codes := make([]string, len(f.Reasons))
	for i, r := range f.Reasons {
		codes[i] = r.Code
	}
	e.Message = fmt.Sprintf("miner suspected: %s (pid %d), score %d: %s", filepath.Base(f.Exe), f.PID, f.Score, strings.Join(codes, ", "))
	if len(f.Remote) > 0 {
		e.Destination = &event.Endpoint{IP: f.Remote[0].Addr().String(), Port: int(f.Remote[0].Port())}
	}
	e.Labels = map[string]string{"score": strconv.Itoa(f.Score), "reasons": strings.Join(codes, ","), "action": action}
	if f.CPUPercent >= 0 {
		e.Labels["cpu_percent"] = strconv.FormatFloat(f.CPUPercent, 'f', 0, 64)
	}
	return e
}
