package posture

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/vuln"
	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/internal/vuln/osv"
	"github.com/medshield/medshield/internal/vuln/winpatch"
)

// Events is the part of the store the detector reads: the host's previous
// summary, for first-seen/fixed-at history.
type Events interface {
	QueryEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error)
}

// Detector derives vulnerability findings from host.packages events. It
// implements the server's Detector interface and is safe for concurrent use.
type Detector struct {
	data string
	ev   Events
	log  *slog.Logger

	mu      sync.Mutex
	stamp   string // manifest size+mtime the loaded DB corresponds to
	loaded  bool
	matcher *vuln.Matcher
	db      DBInfo
}

// DBInfo describes the loaded OSV database; it is copied into every summary
// so the console can flag a stale or missing database without reading the
// server's data directory.
type DBInfo struct {
	Missing    bool
	Records    int
	Sources    int
	ImportedAt time.Time // oldest import among the sources
}

// NewDetector returns a detector over the OSV database under data
// (DATA/vuln/osv, as `medshield vuln db import` writes it). ev may be nil
// (no history then).
func NewDetector(data string, ev Events, log *slog.Logger) *Detector {
	if log == nil {
		log = slog.Default()
	}
	return &Detector{data: data, ev: ev, log: log.With("component", "posture")}
}

// Name implements server.Detector.
func (d *Detector) Name() string { return "posture" }

// manifestStamp identifies the manifest's current content cheaply.
func (d *Detector) manifestStamp() string {
	st, err := os.Stat(filepath.Join(d.data, "vuln", "manifest.json"))
	if err != nil {
		return "none"
	}
	return fmt.Sprintf("%d/%d", st.Size(), st.ModTime().UnixNano())
}

// current returns the matcher, reloading the database when the manifest
// changed since the last load (an import rewrites it).
func (d *Detector) current(ctx context.Context) (m *vuln.Matcher, info DBInfo, reloaded bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	stamp := d.manifestStamp()
	if d.loaded && stamp == d.stamp {
		return d.matcher, d.db, false
	}
	reloaded = d.loaded // the first load is not a change
	db := osv.NewDB()
	man, err := osv.ReadManifest(d.data)
	if err != nil {
		d.log.Warn("osv manifest", "err", err)
	}
	for i, s := range man.Sources {
		if i == 0 || s.ImportedAt.Before(info.ImportedAt) {
			info.ImportedAt = s.ImportedAt
		}
	}
	info.Sources = len(man.Sources)
	if err := db.Load(ctx, osv.Dir(d.data)); err != nil {
		if ctx.Err() != nil {
			return vuln.NewMatcher(osv.NewDB()), DBInfo{Missing: true}, false
		}
		d.log.Warn("osv database not loaded", "err", err)
	}
	info.Records = db.Len()
	info.Missing = info.Records == 0
	d.matcher, d.db, d.stamp, d.loaded = vuln.NewMatcher(db), info, stamp, true
	d.log.Info("osv database loaded", "records", info.Records, "sources", info.Sources, "problems", len(db.Problems))
	return d.matcher, d.db, reloaded
}

// Detect implements server.Detector.
func (d *Detector) Detect(ctx context.Context, events []event.Event) []event.Event {
	var out []event.Event
	for i := range events {
		src := &events[i]
		if src.Kind != event.KindState || src.Dataset != DatasetPackages {
			continue
		}
		inv, err := Inventory(*src)
		if err != nil {
			d.log.Warn("host.packages event", "event", src.ID, "err", err)
			continue
		}
		m, info, _ := d.current(ctx)
		out = append(out, d.assess(ctx, src, src.ID, src.Timestamp, inv, m.Match(inv), info)...)
	}
	return out
}

// Severity maps a finding's label to an event severity.
func Severity(label string) int {
	switch label {
	case "CRITICAL":
		return event.SeverityCritical
	case "HIGH":
		return event.SeverityHigh
	case "MEDIUM":
		return event.SeverityMedium
	case "LOW":
		return event.SeverityLow
	}
	return event.SeverityInfo
}

// findingKey identifies a finding across inventories of one host.
func findingKey(pkg, id string) string { return pkg + "\t" + id }

// assess turns one host's match into finding and summary events. assessID
// links a summary to its findings: the host.packages event id, or that id
// plus the database stamp for a re-match after a database update.
func (d *Detector) assess(ctx context.Context, src *event.Event, assessID string, at time.Time, inv inventory.Inventory, findings []vuln.Finding, info DBInfo) []event.Event {
	seenAt := at.UTC()
	prev := d.previous(ctx, src.HostID, seenAt)
	patches := winpatch.Evaluate(winpatch.Host{OS: inv.OS, Hotfixes: inv.Hotfixes, Files: inv.Files})

	var out []event.Event
	counts := map[string]int{}
	now := map[string]bool{}
	var lines []string
	maxSev := event.SeverityInfo
	add := func(ev event.Event, pkg, key, label string) {
		k := findingKey(pkg, key)
		first := seenAt
		if t, ok := prev.firstSeen[k]; ok && t.Before(first) {
			first = t
		}
		now[k] = true
		counts[strings.ToLower(label)]++
		maxSev = max(maxSev, ev.Severity)
		ev.Fields["first_seen"] = first.Format(time.RFC3339)
		ev.Fields["inventory.id"] = src.ID
		ev.Fields["assessment.id"] = assessID
		lines = append(lines, strings.Join([]string{key, pkg, label, first.Format(time.RFC3339)}, "\t"))
		out = append(out, ev)
	}
	for _, f := range findings {
		ev := d.base(src, DatasetFinding, seenAt)
		// One event per (package, CVE): the server derives the stored id
		// from this id and the rule id, so both must take part.
		ev.ID = assessID + "/" + f.SourcePackage
		ev.Rule = &event.Rule{ID: f.Key, Name: orDefault(f.Summary, f.Key), Ruleset: "osv", Level: strings.ToLower(f.Severity)}
		ev.Severity = Severity(f.Severity)
		ev.Message = truncate(f.Explanation, 4096)
		ev.Fields = map[string]any{
			"finding.kind": "package", "package": f.Package, "binaries": f.Binaries, "source_package": f.SourcePackage,
			"installed_version": f.InstalledVersion, "fixed_version": f.FixedVersion, "ecosystem": f.Ecosystem,
			"ids": f.IDs, "explanation": f.Explanation, "vuln.severity": f.Severity, "vuln.score": f.Score, "cvss": f.CVSS,
			"ranges": f.Ranges,
		}
		add(ev, f.SourcePackage, f.Key, f.Severity)
	}
	var patchLines []string
	ms := ""
	for _, p := range patches {
		patchLines = append(patchLines, strings.Join([]string{p.ID, string(p.Status), p.Reason}, "\t"))
		if p.ID == "MS17-010" {
			ms = string(p.Status)
		}
		if p.Status != winpatch.Vulnerable {
			continue
		}
		ev := d.base(src, DatasetFinding, seenAt)
		ev.ID = assessID + "/windows"
		ev.Rule = &event.Rule{ID: p.ID, Name: p.Title, Ruleset: "winpatch", Level: strings.ToLower(p.Severity)}
		ev.Severity = Severity(strings.ToUpper(p.Severity))
		expl := fmt.Sprintf("%s (%s): %s; %s", p.ID, strings.Join(p.CVEs, ", "), p.Reason, p.Remediation)
		ev.Message = truncate(expl, 4096)
		ev.Fields = map[string]any{
			"finding.kind": "windows-patch", "package": "windows", "ecosystem": "Windows", "ids": append([]string{p.ID}, p.CVEs...),
			"explanation": expl, "vuln.severity": strings.ToUpper(p.Severity), "evidence": p.Evidence,
			"remediation": p.Remediation, "platform": p.Platform, "confidence": p.Confidence,
		}
		add(ev, "windows", p.ID, strings.ToUpper(p.Severity))
	}
	var fixed []string
	for k, t := range prev.firstSeen {
		if !now[k] {
			pkg, id, _ := strings.Cut(k, "\t")
			fixed = append(fixed, strings.Join([]string{id, pkg, t.Format(time.RFC3339), seenAt.Format(time.RFC3339)}, "\t"))
		}
	}
	sort.Strings(fixed)
	sort.Strings(lines)

	sum := d.base(src, DatasetSummary, seenAt)
	sum.ID = assessID
	sum.Rule = &event.Rule{ID: "vuln.summary", Name: "vulnerability posture summary", Ruleset: "posture"}
	sum.Severity = maxSev
	total := len(out)
	sum.Message = fmt.Sprintf("%d findings (%d critical, %d high); MS17-010: %s", total, counts["critical"], counts["high"], orDefault(ms, "n/a"))
	sum.Fields = map[string]any{
		"inventory.id": src.ID, "assessment.id": assessID, "findings.count": total, "findings": lines, "fixed": fixed, "patches": patchLines,
		"ms17_010": ms, "os.name": osName(inv.OS), "os.ecosystem": inv.OS.Ecosystem(), "packages.count": len(inv.Packages),
		"db.missing": info.Missing, "db.records": info.Records, "db.sources": info.Sources,
	}
	for _, s := range []string{"critical", "high", "medium", "low", "unknown"} {
		sum.Fields["count."+s] = counts[s]
	}
	sum.Fields["count.unknown"] = counts["unknown"] + counts["none"]
	if !info.ImportedAt.IsZero() {
		sum.Fields["db.imported_at"] = info.ImportedAt.UTC().Format(time.RFC3339)
	}
	for _, k := range []string{"smb1.server", "smb1.client"} {
		if v := fieldString(*src, k); v != "" {
			sum.Fields[k] = v
		}
	}
	return append(out, sum)
}

func (d *Detector) base(src *event.Event, dataset string, ts time.Time) event.Event {
	return event.Event{
		Timestamp: ts, ID: src.ID, Kind: event.KindState, Dataset: dataset, Category: "vulnerability",
		HostID: src.HostID, HostName: src.HostName, AgentID: src.AgentID, Organization: src.Organization, Unit: src.Unit,
	}
}

// history is what the host's previous summary says.
type history struct {
	firstSeen map[string]time.Time // findingKey → first seen
}

// previous reads the newest summary of the host not newer than at (a
// retried batch finds its own summary: carrying its dates forward is
// harmless).
func (d *Detector) previous(ctx context.Context, hostID string, at time.Time) history {
	h := history{firstSeen: map[string]time.Time{}}
	if d.ev == nil || hostID == "" {
		return h
	}
	page, err := d.ev.QueryEvents(ctx, store.EventQuery{
		Kind: event.KindState, HostID: hostID, To: at.Add(time.Nanosecond),
		Fields: map[string]string{"event.dataset": DatasetSummary}, Limit: 1,
	})
	if err != nil {
		d.log.Warn("posture history", "host", hostID, "err", err)
		return h
	}
	if len(page.Events) == 0 {
		return h
	}
	for _, l := range StringList(page.Events[0].Fields["findings"]) {
		c := strings.Split(l, "\t")
		if len(c) < 4 {
			continue
		}
		if t, err := time.Parse(time.RFC3339, c[3]); err == nil {
			h.firstSeen[findingKey(c[1], c[0])] = t
		}
	}
	return h
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// IntField reads an integer field of a stored event (numbers come back
// from JSON as float64).
func IntField(ev event.Event, name string) int {
	n, _ := strconv.Atoi(fieldString(ev, name))
	return n
}
