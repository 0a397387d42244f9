package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/sigma"
)

// SigmaDetector runs a Sigma rule set on every ingested event through
// sigma.Live (matching plus correlation state). Events are seen through
// sigma.FromEvent: a Sigma field is found under its own name (agents ship
// the Windows Sigma view in event.Fields), under winlog.event_data, or under
// its ECS equivalent, so the same rules run here as in `medshield hunt`.
// Rules can be replaced at run time with Reload.
type SigmaDetector struct {
	paths []string
	opts  sigma.Options

	mu     sync.Mutex // serialises Reload
	live   atomic.Pointer[sigma.Live]
	loaded atomic.Value // time.Time
}

// NewSigmaDetector loads rules from paths (files or directories; missing
// directories are skipped so that an empty rules directory is fine).
func NewSigmaDetector(paths []string, opts sigma.Options) (*SigmaDetector, sigma.Diagnostics, error) {
	d := &SigmaDetector{paths: paths, opts: opts}
	diags, err := d.Reload()
	return d, diags, err
}

// Name implements Detector.
func (d *SigmaDetector) Name() string { return "sigma" }

// Rules returns the number of loaded detection and correlation rules.
func (d *SigmaDetector) Rules() int {
	if l := d.live.Load(); l != nil {
		rs := l.RuleSet()
		return rs.Stats.Loaded + rs.Stats.Correlation
	}
	return 0
}

// Reload loads the rules again and swaps them in atomically; on error the
// old rules stay in force. Correlation state starts afresh.
func (d *SigmaDetector) Reload() (sigma.Diagnostics, error) {
	var existing []string
	for _, p := range d.paths {
		if _, err := os.Stat(p); err == nil {
			existing = append(existing, p)
		}
	}
	var rs *sigma.RuleSet
	var diags sigma.Diagnostics
	var err error
	if len(existing) == 0 {
		rs, diags = sigma.Compile(nil, d.opts)
	} else {
		rs, diags, err = sigma.LoadPaths(existing, d.opts)
		if err != nil {
			return nil, fmt.Errorf("load sigma rules: %w", err)
		}
	}
	d.mu.Lock()
	if l := d.live.Load(); l != nil {
		l.Reload(rs) // open correlation windows of the old rules are closed
	} else {
		d.live.Store(sigma.NewLive(rs))
	}
	d.mu.Unlock()
	d.loaded.Store(time.Now())
	return diags, nil
}

// Changed reports whether any rule file under the paths was modified after
// the last load (used for reloading without restart).
func (d *SigmaDetector) Changed() bool {
	since, _ := d.loaded.Load().(time.Time)
	changed := false
	for _, p := range d.paths {
		_ = filepath.WalkDir(p, func(path string, de os.DirEntry, err error) error {
			if err != nil || changed {
				return filepath.SkipDir
			}
			if info, err := de.Info(); err == nil && info.ModTime().After(since) {
				changed = true
				return filepath.SkipAll
			}
			return nil
		})
	}
	return changed
}

// Detect implements Detector.
func (d *SigmaDetector) Detect(ctx context.Context, events []event.Event) []event.Event {
	l := d.live.Load()
	if l == nil || len(l.RuleSet().Rules) == 0 {
		return nil
	}
	var alerts []event.Event
	for i := range events {
		ev := &events[i]
		if ev.Kind == event.KindAlert {
			continue
		}
		ms, fired := l.Process(sigma.FromEvent(ev), ev.Timestamp, ev.ID)
		for _, mt := range ms {
			alerts = append(alerts, sigmaAlert(ev, mt.Rule, ""))
		}
		for _, ca := range fired {
			a := sigmaAlert(ev, ca.Rule, fmt.Sprintf("%s: %.0f events (%s)", ca.Rule.Title, ca.Value, ca.GroupString()))
			a.Labels["correlation.group"] = ca.GroupString()
			a.Labels["correlation.count"] = fmt.Sprintf("%.0f", ca.Value)
			alerts = append(alerts, a)
		}
	}
	return alerts
}

// sigmaAlert builds the alert for a rule that matched ev. Its ID is the
// source event's; the server derives the final, deterministic alert id.
func sigmaAlert(ev *event.Event, r *sigma.Rule, msg string) event.Event {
	a := event.Event{
		Timestamp: ev.Timestamp, ID: ev.ID, Kind: event.KindAlert, Category: "detection", Action: "sigma_match",
		Dataset: "sigma", Severity: event.SeverityFromLevel(r.Level), HostID: ev.HostID, HostName: ev.HostName,
		Process: ev.Process, File: ev.File, User: ev.User, Source: ev.Source, Destination: ev.Destination,
		Rule: &event.Rule{ID: r.ID, Name: r.Title, Ruleset: "sigma", Level: r.Level, Author: r.Author, Status: r.Status,
			Description: r.Description, Tags: r.Tags},
		Message: msg,
		Labels:  map[string]string{"source.event.id": ev.ID},
	}
	if a.Message == "" {
		a.Message = r.Title
	}
	for _, tag := range r.Tags {
		if t, ok := strings.CutPrefix(strings.ToLower(tag), "attack.t"); ok && len(t) >= 4 {
			a.Techniques = append(a.Techniques, "T"+strings.ToUpper(t))
		}
	}
	return a
}
