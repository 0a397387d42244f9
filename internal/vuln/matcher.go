package vuln

import (
	"slices"
	"strings"
	"sync"

	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/internal/vuln/osv"
	"github.com/medshield/medshield/internal/vuln/version"
)

// Matcher matches inventories against an OSV database. It is safe for
// concurrent use once built; the database must not change while in use
// (build a new Matcher after an update and re-match).
type Matcher struct {
	db *osv.DB
	// sev caches each record entry's severity: parsing CVSS vectors is
	// the costliest step of a match otherwise.
	sev sync.Map // *osv.Affected → severity
}

type severity struct {
	label  string
	score  float64
	vector string
}

// NewMatcher returns a matcher over db.
func NewMatcher(db *osv.DB) *Matcher { return &Matcher{db: db} }

func (m *Matcher) severity(v *osv.Vulnerability, a *osv.Affected) severity {
	if s, ok := m.sev.Load(a); ok {
		return s.(severity)
	}
	var s severity
	s.label, s.score, s.vector = recordSeverity(v, a)
	m.sev.Store(a, s)
	return s
}

// sourceKey groups the binaries of one source package version.
type sourceKey struct{ eco, name, version string }

// Match returns the findings for one inventory, sorted by severity
// (highest first), then source package, then key.
func (m *Matcher) Match(inv inventory.Inventory) []Finding { return m.match(inv, nil) }

// Batch matches many inventories against one database (the server's
// re-match of every host after an update). Hosts of one distribution share
// most package versions, so the findings of a source package version are
// computed once and reused. Findings returned by a Batch share their
// slices (IDs, Ranges, Binaries) and must be treated as read-only. A Batch
// is not safe for concurrent use; use one per goroutine.
type Batch struct {
	m    *Matcher
	memo map[string][]Finding
}

// NewBatch starts a batch over m's database.
func (m *Matcher) NewBatch() *Batch { return &Batch{m: m, memo: map[string][]Finding{}} }

// Match is Matcher.Match with reuse across the batch's inventories.
func (b *Batch) Match(inv inventory.Inventory) []Finding { return b.m.match(inv, b.memo) }

func (m *Matcher) match(inv inventory.Inventory, memo map[string][]Finding) []Finding {
	// Group installed binaries by source package so that libssl3 and
	// openssl give one finding per CVE.
	groups := map[sourceKey][]string{}
	var order []sourceKey
	for _, p := range inv.Packages {
		if p.Ecosystem == "" {
			continue
		}
		name, ver := p.Source()
		k := sourceKey{p.Ecosystem, name, ver}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], p.Name)
	}
	var out []Finding
	for _, k := range order {
		if memo == nil {
			out = append(out, m.matchSource(k, groups[k])...)
			continue
		}
		bins := groups[k]
		mk := k.eco + "\x00" + k.name + "\x00" + k.version + "\x00" + strings.Join(bins, "\x00")
		fs, ok := memo[mk]
		if !ok {
			fs = m.matchSource(k, bins)
			memo[mk] = fs
		}
		out = append(out, fs...)
	}
	// Sort an index, not the (large) findings themselves.
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		a, b := &out[i], &out[j]
		if ra, rb := severityRank[a.Severity], severityRank[b.Severity]; ra != rb {
			return rb - ra
		}
		if c := strings.Compare(a.SourcePackage, b.SourcePackage); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	sorted := make([]Finding, len(out))
	for k, i := range idx {
		sorted[k] = out[i]
	}
	return sorted
}

func (m *Matcher) matchSource(k sourceKey, binaries []string) []Finding {
	scheme := version.ForEcosystem(k.eco)
	entries := m.db.Lookup(k.eco, k.name)
	if scheme == version.SchemeRPM {
		// RPM advisories name binary packages (openssl-libs), and subpackages
		// share the source's EVR: look the binaries up too, once each entry.
		seen := map[*osv.Affected]bool{}
		for _, e := range entries {
			seen[e.Affected] = true
		}
		for _, b := range binaries {
			if b == k.name {
				continue
			}
			for _, e := range m.db.Lookup(k.eco, b) {
				if !seen[e.Affected] {
					seen[e.Affected] = true
					entries = append(entries, e)
				}
			}
		}
	}
	if len(entries) == 0 {
		return nil
	}
	byKey := map[string]*Finding{}
	var keys []string
	for _, e := range entries {
		match, ok := osv.AffectsScheme(e.Affected, k.version, scheme)
		if !ok {
			continue
		}
		v := e.Vuln
		cves := v.CVEs()
		fkeys := cves
		if len(fkeys) == 0 {
			fkeys = []string{canonicalID(v)}
		}
		sv := m.severity(v, e.Affected)
		label, score, vector := sv.label, sv.score, sv.vector
		for _, fk := range fkeys {
			f := byKey[fk]
			if f == nil {
				bins := slices.Clone(binaries)
				slices.Sort(bins)
				bins = slices.Compact(bins) // multi-arch: libc6 for amd64 and i386
				f = &Finding{Key: fk, Package: bins[0], Binaries: bins, SourcePackage: k.name,
					InstalledVersion: k.version, Ecosystem: k.eco, Severity: "UNKNOWN"}
				byKey[fk] = f
				keys = append(keys, fk)
			}
			f.IDs = append(f.IDs, relatedIDs(v, fk)...)
			f.Ranges = append(f.Ranges, v.ID+" "+e.Affected.Package.Ecosystem+": "+match.Range)
			if match.Fixed != "" && (f.FixedVersion == "" || version.Compare(scheme, match.Fixed, f.FixedVersion) > 0) {
				f.FixedVersion = match.Fixed
			}
			if severityRank[label] > severityRank[f.Severity] || (label == f.Severity && score > f.Score) {
				f.Severity, f.Score, f.CVSS = label, score, vector
			}
			if f.Summary == "" {
				f.Summary = v.Summary
			}
		}
	}
	out := make([]Finding, 0, len(keys))
	for _, fk := range keys {
		f := byKey[fk]
		slices.Sort(f.IDs)
		f.IDs = slices.Compact(f.IDs)
		slices.Sort(f.Ranges)
		f.Ranges = slices.Compact(f.Ranges)
		f.explain()
		out = append(out, *f)
	}
	return out
}

// relatedIDs returns the ids a record contributes to the finding for key:
// its own id, its aliases, and upstream ids about the same CVE
// (DEBIAN-CVE-x, UBUNTU-CVE-x) — not the other CVEs of a multi-CVE DSA.
func relatedIDs(v *osv.Vulnerability, key string) []string {
	ids := []string{v.ID, key}
	for _, a := range v.Aliases {
		if !strings.HasPrefix(a, "CVE-") || a == key {
			ids = append(ids, a)
		}
	}
	for _, u := range v.Upstream {
		if u == key || strings.HasSuffix(u, "-"+key) {
			ids = append(ids, u)
		}
	}
	return ids
}

// canonicalID picks a stable key for a record without a CVE: the smallest
// of its id and aliases, so that a GO- record and its GHSA alias merge.
func canonicalID(v *osv.Vulnerability) string {
	id := v.ID
	for _, a := range v.Aliases {
		if a < id {
			id = a
		}
	}
	return id
}
