package winpatch

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/medshield/medshield/internal/vuln/inventory"
)

// Status is a check's outcome.
type Status string

const (
	Patched       Status = "patched"
	Vulnerable    Status = "vulnerable"
	NotApplicable Status = "not-applicable"
	// Unknown: the evidence collected cannot decide (for example no
	// hotfix list, or only updates newer than those medshield lists).
	Unknown Status = "unknown"
)

// Host is what the checks look at.
type Host struct {
	OS       inventory.OS
	Hotfixes []string
	// Files maps lower-case file names ("srv.sys") to their version.
	Files map[string]string
	// DomainController says the host is an AD domain controller.
	DomainController bool
}

// Result is one check on one host.
type Result struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	CVEs        []string `json:"cves"`
	Severity    string   `json:"severity"`
	Status      Status   `json:"status"`
	Platform    string   `json:"platform,omitempty"`
	Reason      string   `json:"reason"`
	Evidence    []string `json:"evidence,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	Source      string   `json:"source,omitempty"`
	Confidence  string   `json:"confidence,omitempty"`
}

// Evaluate runs every check of Table on h.
func Evaluate(h Host) []Result {
	out := make([]Result, 0, len(Table))
	for i := range Table {
		out = append(out, Check(&Table[i], h))
	}
	return out
}

func (p Platform) matches(o inventory.OS) bool {
	if p.MajorMinor != "" && p.MajorMinor != o.MajorMinor {
		return false
	}
	if len(p.Builds) > 0 && !slices.Contains(p.Builds, o.Build) {
		return false
	}
	server := strings.HasPrefix(o.InstallationType, "Server")
	switch p.Server {
	case 1:
		return !server
	case 2:
		return server
	}
	return true
}

// Check evaluates one vulnerability on h.
func Check(v *Vulnerability, h Host) Result {
	r := Result{ID: v.ID, Title: v.Title, CVEs: v.CVEs, Severity: v.Severity, Remediation: v.Remediation}
	if h.OS.Family != "windows" {
		r.Status, r.Reason = NotApplicable, "not a Windows host"
		return r
	}
	if h.OS.MajorMinor == "" {
		r.Status, r.Reason = Unknown, "Windows version not collected"
		return r
	}
	if v.DomainControllerOnly && !h.DomainController {
		r.Status, r.Reason = NotApplicable, "only domain controllers are affected and this host is not one"
		return r
	}
	var fix *Fix
	for i := range v.Fixes {
		if v.Fixes[i].Platform.matches(h.OS) {
			fix = &v.Fixes[i]
			break
		}
	}
	if fix == nil {
		r.Status, r.Reason = Unknown, fmt.Sprintf("no entry for Windows %s build %d in medshield's table", h.OS.MajorMinor, h.OS.Build)
		return r
	}
	r.Platform, r.Source, r.Confidence = fix.Platform.Name, fix.Source, fix.Confidence
	switch {
	case fix.NotAffected:
		r.Status, r.Reason = NotApplicable, fix.Platform.Name+" is not affected"
		return r
	}
	// 1. File version: independent of which update delivered it.
	if fix.File != "" {
		if fv, ok := h.Files[fix.File]; ok && fv != "" {
			min := fix.MinFile
			if fix.MinFileLDR != "" && ldrBranch(fv) {
				min = fix.MinFileLDR
			}
			r.Evidence = append(r.Evidence, fmt.Sprintf("%s version %s (fixed from %s)", fix.File, fv, min))
			if compareDotted(fv, min) >= 0 {
				r.Status, r.Reason = Patched, fmt.Sprintf("%s %s ≥ %s", fix.File, fv, min)
			} else {
				r.Status, r.Reason = Vulnerable, fmt.Sprintf("%s %s < %s", fix.File, fv, min)
			}
			return r
		}
	}
	// 2. Build revision: every later cumulative update raises it.
	if fix.MinUBR > 0 && h.OS.UBR > 0 {
		r.Evidence = append(r.Evidence, fmt.Sprintf("OS build %d.%d", h.OS.Build, h.OS.UBR))
		if h.OS.UBR >= fix.MinUBR {
			r.Status, r.Reason = Patched, fmt.Sprintf("build %d.%d ≥ %d.%d (cumulative updates from then contain the fix)", h.OS.Build, h.OS.UBR, h.OS.Build, fix.MinUBR)
		} else {
			r.Status, r.Reason = Vulnerable, fmt.Sprintf("build %d.%d < %d.%d", h.OS.Build, h.OS.UBR, h.OS.Build, fix.MinUBR)
		}
		return r
	}
	// 3. Installed KBs.
	installed := map[string]bool{}
	for _, kb := range h.Hotfixes {
		installed[strings.ToUpper(kb)] = true
	}
	for _, kb := range fix.KBs {
		if installed[kb] {
			r.Status, r.Reason = Patched, kb+" is installed"
			r.Evidence = append(r.Evidence, kb)
			return r
		}
	}
	if len(fix.KBs) == 0 && fix.MinUBR == 0 {
		r.Status, r.Reason = Vulnerable, "no fix was released for "+fix.Platform.Name+": upgrade the OS"
		return r
	}
	if len(h.Hotfixes) == 0 {
		r.Status, r.Reason = Unknown, "no hotfix list, file version or build revision collected"
		return r
	}
	// Updates newer than every listed KB may be later cumulative rollups
	// that also contain the fix: do not claim "vulnerable" then.
	newest := newestKB(fix.KBs)
	var newer []string
	for _, kb := range h.Hotfixes {
		if kbNumber(kb) > newest {
			newer = append(newer, kb)
		}
	}
	if len(newer) > 0 {
		slices.Sort(newer)
		r.Status = Unknown
		r.Reason = fmt.Sprintf("none of the %d KBs medshield lists is installed, but newer updates are (%s) and later rollups may contain the fix", len(fix.KBs), strings.Join(first(newer, 5), ", "))
		if fix.File != "" {
			r.Reason += fmt.Sprintf("; check %s ≥ %s", fix.File, fix.MinFile)
		}
		return r
	}
	r.Status = Vulnerable
	r.Reason = fmt.Sprintf("none of %s is installed (%d hotfixes checked)", strings.Join(first(fix.KBs, 6), ", "), len(h.Hotfixes))
	return r
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(slices.Clone(s[:n]), "...")
	}
	return s
}

func kbNumber(kb string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(kb), "KB"))
	return n
}

func newestKB(kbs []string) int {
	m := 0
	for _, kb := range kbs {
		m = max(m, kbNumber(kb))
	}
	return m
}

// ldrBranch reports whether a Vista/2008 file version is on the LDR
// branch (4th field starting with 2).
func ldrBranch(v string) bool {
	parts := strings.Split(v, ".")
	return len(parts) == 4 && strings.HasPrefix(parts[3], "2")
}

// compareDotted compares dotted numeric versions ("6.1.7601.23689").
func compareDotted(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
