package vuln

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/medshield/medshield/internal/vuln/cvss"
	"github.com/medshield/medshield/internal/vuln/osv"
)

// Severity labels, highest first.
var severityRank = map[string]int{"CRITICAL": 5, "HIGH": 4, "MEDIUM": 3, "LOW": 2, "NONE": 1, "UNKNOWN": 0}

// Finding is one vulnerability (one CVE, or one advisory without a CVE)
// affecting one installed source package.
type Finding struct {
	// Key is the CVE id, or the advisory id when no CVE is known.
	Key string `json:"key"`
	// Package is the installed (binary) package; Binaries lists every
	// installed binary built from the same source.
	Package          string   `json:"package"`
	Binaries         []string `json:"binaries,omitempty"`
	SourcePackage    string   `json:"source_package"`
	InstalledVersion string   `json:"installed_version"`
	// FixedVersion is the lowest version that fixes every matched
	// advisory; empty when no fix is known.
	FixedVersion string  `json:"fixed_version"`
	Ecosystem    string  `json:"ecosystem"`
	Severity     string  `json:"severity"`
	Score        float64 `json:"score,omitempty"`
	CVSS         string  `json:"cvss,omitempty"`
	// IDs are every advisory and CVE id of the finding, sorted.
	IDs     []string `json:"ids"`
	Summary string   `json:"summary,omitempty"`
	// Ranges are the affected ranges that matched, one per advisory:
	// "DSA-5532-1 Debian:12: introduced 0, fixed 3.0.11-1~deb12u2".
	Ranges []string `json:"ranges"`
	// Explanation is one sentence a person can check.
	Explanation string `json:"explanation"`
}

// MarshalJSONL writes the finding as one JSON line.
func (f Finding) MarshalJSONL() ([]byte, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func (f *Finding) explain() {
	bin := ""
	if f.Package != f.SourcePackage {
		bin = fmt.Sprintf(" (installed as %s)", strings.Join(f.Binaries, ", "))
	}
	fix := "no fixed version is known"
	if f.FixedVersion != "" {
		fix = "fixed in " + f.FixedVersion
	}
	f.Explanation = fmt.Sprintf("%s %s %s%s is affected by %s [%s]: %s; %s.",
		f.Ecosystem, f.SourcePackage, f.InstalledVersion, bin, f.Key, strings.Join(f.IDs, ", "),
		strings.Join(f.Ranges, "; "), fix)
}

// recordSeverity returns the highest CVSS score of a record and entry, or
// a textual label when no vector is given.
func recordSeverity(v *osv.Vulnerability, a *osv.Affected) (label string, score float64, vector string) {
	label = "UNKNOWN"
	best := -1.0
	var text string
	for _, s := range slices.Concat(v.Severity, a.Severity) {
		switch s.Type {
		case "CVSS_V3", "CVSS_V4":
			sc, _, err := cvss.Score(s.Score)
			if err == nil && sc > best {
				best, vector = sc, s.Score
			}
		case "Ubuntu":
			text = s.Score
		}
	}
	if best >= 0 {
		return cvss.Rating(best), best, vector
	}
	if text == "" && len(v.DatabaseSpecific) > 0 {
		var ds struct {
			Severity string `json:"severity"`
		}
		if json.Unmarshal(v.DatabaseSpecific, &ds) == nil {
			text = ds.Severity
		}
	}
	switch t := strings.ToUpper(text); t {
	case "CRITICAL", "HIGH", "MEDIUM", "LOW":
		return t, 0, ""
	case "MODERATE":
		return "MEDIUM", 0, ""
	case "NEGLIGIBLE":
		return "LOW", 0, ""
	}
	return label, 0, ""
}
