package scansched

import (
	"errors"
	"testing"
	"time"
)

func TestEvents(t *testing.T) {
	now := time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name               string
		f                  Finding
		kind, action, rule string
		severity           int
	}{
		{"detection with severity meta", Finding{Source: SourceOnAccess, Path: "/tmp/x.exe", SHA256: "ab", Time: now,
			Detections: []Detection{{Rule: "EICAR_Test_File", Namespace: "starter", Meta: map[string]string{"severity": "10"}}, {Rule: "Other"}}},
			"alert", "file-detected", "starter:EICAR_Test_File", 10},
		{"detection without severity", Finding{Source: SourceScheduled, ScanID: "s1", Path: "/tmp/y", Time: now,
			Detections: []Detection{{Rule: "R", Meta: map[string]string{"severity": "high"}}}},
			"alert", "file-detected", "R", 70},
		{"unreadable file", Finding{Source: SourceScheduled, Path: "/tmp/z", Err: errors.New("read /tmp/z: permission denied"), Time: now},
			"event", "file-error", "", 10},
	} {
		e := tc.f.Event()
		if err := e.Validate(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		rule := ""
		if e.Rule != nil {
			rule = e.Rule.ID
		}
		if e.Kind != tc.kind || e.Action != tc.action || rule != tc.rule || e.Severity != tc.severity || e.File.Path != tc.f.Path || !e.Timestamp.Equal(now) {
			t.Errorf("%s: kind %s action %s rule %q severity %d file %+v", tc.name, e.Kind, e.Action, rule, e.Severity, e.File)
		}
	}
	s := Summary{ScanID: "s1", Name: "nightly", Source: SourceScheduled, Started: now, Finished: now.Add(90 * time.Second),
		Stats: Stats{Files: 10, Scanned: 4, Cached: 6, Detected: 1}}
	e := s.Event()
	if err := e.Validate(); err != nil || e.Kind != "state" || e.Labels["scan.cached"] != "6" || e.Labels["scan.detected"] != "1" {
		t.Fatalf("summary event %+v: %v", e, err)
	}
}
