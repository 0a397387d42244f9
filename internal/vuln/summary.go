package vuln

import (
	"sort"

	"github.com/medshield/medshield/internal/vuln/winpatch"
)

// HostResult is one host's matching outcome, as the server stores it.
type HostResult struct {
	Host     string
	Findings []Finding
	Patches  []winpatch.Result
}

// CVECount is a vulnerability with the hosts it affects.
type CVECount struct {
	Key      string
	Severity string
	Score    float64
	Hosts    int
}

// Summary aggregates hosts (one hospital, one department) for the console:
// counts by severity, the most widespread vulnerabilities, and hosts whose
// MS17-010 check says vulnerable.
type Summary struct {
	Hosts          int
	BySeverity     map[string]int // findings per severity
	HostsAffected  int            // hosts with at least one finding
	TopCVEs        []CVECount     // by hosts affected, then severity
	MissingMS17010 []string       // hosts, sorted
	UnknownMS17010 []string       // Windows hosts whose evidence could not decide
}

// Summarize aggregates results; top limits TopCVEs (0 = all).
func Summarize(results []HostResult, top int) Summary {
	s := Summary{Hosts: len(results), BySeverity: map[string]int{}}
	byKey := map[string]*CVECount{}
	for _, r := range results {
		if len(r.Findings) > 0 {
			s.HostsAffected++
		}
		seen := map[string]bool{}
		for _, f := range r.Findings {
			s.BySeverity[f.Severity]++
			c := byKey[f.Key]
			if c == nil {
				c = &CVECount{Key: f.Key}
				byKey[f.Key] = c
			}
			if severityRank[f.Severity] > severityRank[c.Severity] || (f.Severity == c.Severity && f.Score > c.Score) {
				c.Severity, c.Score = f.Severity, f.Score
			}
			if !seen[f.Key] {
				seen[f.Key] = true
				c.Hosts++
			}
		}
		for _, p := range r.Patches {
			if p.ID != "MS17-010" {
				continue
			}
			switch p.Status {
			case winpatch.Vulnerable:
				s.MissingMS17010 = append(s.MissingMS17010, r.Host)
			case winpatch.Unknown:
				s.UnknownMS17010 = append(s.UnknownMS17010, r.Host)
			}
		}
	}
	for _, c := range byKey {
		s.TopCVEs = append(s.TopCVEs, *c)
	}
	sort.Slice(s.TopCVEs, func(i, j int) bool {
		a, b := s.TopCVEs[i], s.TopCVEs[j]
		if a.Hosts != b.Hosts {
			return a.Hosts > b.Hosts
		}
		if ra, rb := severityRank[a.Severity], severityRank[b.Severity]; ra != rb {
			return ra > rb
		}
		return a.Key < b.Key
	})
	if top > 0 && len(s.TopCVEs) > top {
		s.TopCVEs = s.TopCVEs[:top]
	}
	sort.Strings(s.MissingMS17010)
	sort.Strings(s.UnknownMS17010)
	return s
}
