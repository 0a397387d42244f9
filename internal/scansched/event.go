package scansched

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/medshield/medshield/internal/event"
)

// Dataset is the event.dataset of scan events.
const Dataset = "medshield.scan"

// Event renders a Finding: an alert (action "file-detected", rule.* from the
// first detection, all rules in labels["scan.rules"]) when something matched,
// or an event (action "file-error") when the file could not be scanned.
// Severity is the first detection's integer "severity" meta when it has one
// (0-100), else high.
func (f Finding) Event() event.Event {
	e := event.New(event.KindAlert, Dataset, "file-detected")
	e.Timestamp = f.Time.UTC()
	e.Category = "malware"
	e.File = &event.File{Path: f.Path, Name: filepath.Base(f.Path), Size: f.Size, SHA256: f.SHA256}
	e.Labels = map[string]string{"scan.source": string(f.Source)}
	if f.ScanID != "" {
		e.Labels["scan.id"] = f.ScanID
	}
	if len(f.Detections) == 0 {
		e.Kind, e.Action, e.Category = event.KindEvent, "file-error", "file"
		e.Severity = event.SeverityInfo
		if f.Err != nil {
			e.Message = f.Err.Error()
		}
		return e
	}
	d := f.Detections[0]
	e.Severity = event.SeverityHigh
	if v, err := strconv.Atoi(d.Meta["severity"]); err == nil && v >= 0 && v <= 100 {
		e.Severity = v
	}
	id := d.Rule
	if d.Namespace != "" {
		id = d.Namespace + ":" + d.Rule
	}
	e.Rule = &event.Rule{ID: id, Name: d.Rule, Ruleset: "yara", Tags: d.Tags,
		Author: d.Meta["author"], Description: d.Meta["description"]}
	names := make([]string, len(f.Detections))
	for i, d := range f.Detections {
		names[i] = d.Rule
	}
	e.Labels["scan.rules"] = strings.Join(names, ",")
	e.Message = fmt.Sprintf("%s scan: %s matched %s", f.Source, f.Path, e.Labels["scan.rules"])
	return e
}

// Event renders a Summary as a state event (action "scan-summary") with the
// counters in labels.
func (s Summary) Event() event.Event {
	e := event.New(event.KindState, Dataset, "scan-summary")
	e.Timestamp = s.Finished.UTC()
	e.Category = "file"
	st := s.Stats
	e.Labels = map[string]string{
		"scan.id": s.ScanID, "scan.name": s.Name, "scan.source": string(s.Source),
		"scan.paths": strings.Join(s.Paths, ","), "scan.started": s.Started.UTC().Format("2006-01-02T15:04:05Z"),
		"scan.cancelled": strconv.FormatBool(s.Cancelled),
		"scan.files":     strconv.FormatInt(st.Files, 10), "scan.scanned": strconv.FormatInt(st.Scanned, 10),
		"scan.cached": strconv.FormatInt(st.Cached, 10), "scan.bytes": strconv.FormatInt(st.Bytes, 10),
		"scan.detected": strconv.FormatInt(st.Detected, 10), "scan.errors": strconv.FormatInt(st.Errors, 10),
		"scan.too_large": strconv.FormatInt(st.TooLarge, 10), "scan.excluded": strconv.FormatInt(st.Excluded, 10),
		"scan.walk_errors": strconv.FormatInt(st.WalkErrors, 10),
	}
	e.Message = fmt.Sprintf("%s scan %q: %d files, %d scanned, %d cached, %d detected, %d errors in %s",
		s.Source, s.Name, st.Files, st.Scanned, st.Cached, st.Detected, st.Errors, s.Finished.Sub(s.Started).Round(1e9))
	return e
}
