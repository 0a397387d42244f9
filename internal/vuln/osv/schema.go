package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Vulnerability is one OSV record. Fields medshield does not use are not
// decoded (details are kept for display).
type Vulnerability struct {
	SchemaVersion string      `json:"schema_version,omitempty"`
	ID            string      `json:"id"`
	Modified      string      `json:"modified"`
	Published     string      `json:"published,omitempty"`
	Withdrawn     string      `json:"withdrawn,omitempty"`
	Aliases       []string    `json:"aliases,omitempty"`
	Related       []string    `json:"related,omitempty"`
	Upstream      []string    `json:"upstream,omitempty"`
	Summary       string      `json:"summary,omitempty"`
	Details       string      `json:"details,omitempty"`
	Severity      []Severity  `json:"severity,omitempty"`
	Affected      []Affected  `json:"affected,omitempty"`
	References    []Reference `json:"references,omitempty"`
	// DatabaseSpecific may carry a textual severity ("HIGH", Ubuntu
	// priorities) used when no CVSS vector is given.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is a scored severity: type CVSS_V2, CVSS_V3, CVSS_V4 or
// Ubuntu, score a vector or a label.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one affected package with its ranges and explicit versions.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Package names a package in an ecosystem ("Debian:12", "openssl").
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Purl      string `json:"purl,omitempty"`
}

// Range is a list of events on a version line.
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link with a type (ADVISORY, FIX, WEB ...).
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// MaxRecordSize bounds one record; real records are well under 1 MiB.
const MaxRecordSize = 16 << 20

// Parse decodes one OSV record. Syntax errors carry line:column. Parse does
// not lint; call Lint for the schema's rules.
func Parse(data []byte) (*Vulnerability, error) {
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("record is %d bytes, limit %d", len(data), MaxRecordSize)
	}
	var v Vulnerability
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, jsonError(data, err)
	}
	return &v, nil
}

// jsonError adds line:column to a JSON error.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("invalid json: %w", err)
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("%d:%d: invalid json: %w", line, col, err)
}

// CVEs returns the CVE ids a record is about: its id, aliases and
// upstream entries that are CVE ids or distribution views of one
// ("UBUNTU-CVE-2021-3156", "DEBIAN-CVE-2023-0286" give the CVE).
func (v *Vulnerability) CVEs() []string {
	var out []string
	seen := map[string]bool{}
	for _, group := range [][]string{{v.ID}, v.Aliases, v.Upstream} {
		for _, id := range group {
			cve, ok := cveOf(id)
			if ok && !seen[cve] {
				seen[cve] = true
				out = append(out, cve)
			}
		}
	}
	return out
}

// cveOf extracts "CVE-YYYY-N" from "CVE-YYYY-N" or "PREFIX-CVE-YYYY-N".
func cveOf(id string) (string, bool) {
	i := strings.LastIndex(id, "CVE-")
	if i < 0 || (i > 0 && id[i-1] != '-') {
		return "", false
	}
	c := id[i:]
	parts := strings.Split(c, "-")
	if len(parts) != 3 || len(parts[1]) != 4 || len(parts[2]) < 4 {
		return "", false
	}
	for _, p := range parts[1:] {
		for j := 0; j < len(p); j++ {
			if p[j] < '0' || p[j] > '9' {
				return "", false
			}
		}
	}
	return c, true
}
