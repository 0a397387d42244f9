package osv

import (
	"fmt"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/vuln/version"
)

// Problem is one finding of Lint. Errors make a record unusable for
// matching; warnings are reported and the record is kept.
type Problem struct {
	Code    string // linter-style code, e.g. R0001
	Error   bool
	Path    string // JSON path, e.g. affected[2].ranges[0]
	Message string
}

func (p Problem) String() string {
	sev := "warning"
	if p.Error {
		sev = "error"
	}
	if p.Path == "" {
		return fmt.Sprintf("%s[%s]: %s", sev, p.Code, p.Message)
	}
	return fmt.Sprintf("%s[%s]: %s: %s", sev, p.Code, p.Path, p.Message)
}

// Lint checks the rules medshield relies on. Codes follow the OSV linter
// where one exists (R0001 range has an introduced event, R0002 range events
// are distinct); package existence in a registry (P0001) needs the network
// and is not checked.
func Lint(v *Vulnerability) []Problem {
	var ps []Problem
	add := func(code string, isErr bool, path, format string, args ...any) {
		ps = append(ps, Problem{Code: code, Error: isErr, Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if v.ID == "" {
		add("S0001", true, "id", "missing id")
	}
	if v.Modified == "" {
		add("S0002", true, "modified", "missing modified timestamp")
	} else if _, err := time.Parse(time.RFC3339, v.Modified); err != nil {
		add("S0003", false, "modified", "timestamp %q is not RFC 3339", v.Modified)
	}
	for i, s := range v.Severity {
		lintSeverity(s, fmt.Sprintf("severity[%d]", i), add)
	}
	for i, a := range v.Affected {
		ap := fmt.Sprintf("affected[%d]", i)
		onlyGit := len(a.Ranges) > 0
		for _, r := range a.Ranges {
			if r.Type != "GIT" {
				onlyGit = false
			}
		}
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			if !onlyGit || len(a.Versions) > 0 {
				add("S0004", true, ap+".package", "package name and ecosystem are required unless all ranges are GIT")
			}
		}
		for j, s := range a.Severity {
			lintSeverity(s, fmt.Sprintf("%s.severity[%d]", ap, j), add)
		}
		scheme := version.ForEcosystem(a.Package.Ecosystem)
		for j, r := range a.Ranges {
			rp := fmt.Sprintf("%s.ranges[%d]", ap, j)
			switch r.Type {
			case "ECOSYSTEM", "SEMVER":
			case "GIT":
				if r.Repo == "" {
					add("S0005", true, rp, "GIT range without repo")
				}
			default:
				add("S0006", true, rp, "unknown range type %q", r.Type)
			}
			if len(r.Events) == 0 {
				add("S0007", true, rp, "range has no events")
				continue
			}
			hasIntro, hasFixed, hasLast := false, false, false
			intro := map[string]bool{}
			for k, e := range r.Events {
				n := 0
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if s != "" {
						n++
					}
				}
				if n != 1 {
					add("S0008", true, fmt.Sprintf("%s.events[%d]", rp, k), "event must have exactly one of introduced, fixed, last_affected, limit (has %d)", n)
				}
				if e.Introduced != "" {
					hasIntro = true
					intro[e.Introduced] = true
				}
				hasFixed = hasFixed || e.Fixed != ""
				hasLast = hasLast || e.LastAffected != ""
				if r.Type == "SEMVER" {
					for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected} {
						if s != "" && s != "0" {
							if _, err := version.ParseSemVer(s); err != nil {
								add("R0008", true, fmt.Sprintf("%s.events[%d]", rp, k), "invalid SEMVER version: %v", err)
							}
						}
					}
				}
			}
			if !hasIntro {
				add("R0001", true, rp, "range has no introduced event")
			}
			for _, e := range r.Events {
				for _, s := range []string{e.Fixed, e.LastAffected} {
					if s != "" && intro[s] {
						add("R0002", true, rp, "version %q is both introduced and fixed/last_affected: the range is empty", s)
					}
				}
			}
			if hasFixed && hasLast {
				add("R0003", false, rp, "range has both fixed and last_affected events")
			}
			_ = scheme
		}
	}
	return ps
}

func lintSeverity(s Severity, path string, add func(string, bool, string, string, ...any)) {
	switch s.Type {
	case "CVSS_V3", "CVSS_V4", "CVSS_V2", "Ubuntu":
	default:
		add("S0009", false, path, "unknown severity type %q", s.Type)
	}
}

// HasErrors reports whether ps contains an error.
func HasErrors(ps []Problem) bool {
	for _, p := range ps {
		if p.Error {
			return true
		}
	}
	return false
}

// ProblemsString joins problems for an error message.
func ProblemsString(ps []Problem) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}
