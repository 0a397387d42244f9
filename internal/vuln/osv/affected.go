package osv

import (
	"slices"
	"strings"

	"github.com/medshield/medshield/internal/vuln/version"
)

// Match explains why a version is affected by one affected entry.
type Match struct {
	// Range is the interval that contains the version, written as
	// "introduced X, fixed Y", "introduced X, last_affected Y" or
	// "listed in versions".
	Range string
	// Fixed is the first fixed version above the installed one within the
	// matching range; empty when no fix is known.
	Fixed string
	// LastAffected is set when the range ends with last_affected instead.
	LastAffected string
}

// Affects reports whether ver of a.Package is affected, following the OSV
// schema's evaluation: a version listed in versions is affected; otherwise
// for each ECOSYSTEM or SEMVER range, events are sorted by version
// (introduced "0" first) and walked: introduced ≤ v makes it vulnerable,
// fixed ≤ v or last_affected < v makes it not; limits, when present, cap
// the range. GIT ranges are skipped (installed packages carry no commit).
func Affects(a *Affected, ver string) (Match, bool) {
	return AffectsScheme(a, ver, version.ForEcosystem(a.Package.Ecosystem))
}

// AffectsScheme is Affects with the ecosystem's version scheme already
// known, for callers that check many entries of one ecosystem.
func AffectsScheme(a *Affected, ver string, scheme version.Scheme) (Match, bool) {
	cmp := func(x, y string) int { return version.Compare(scheme, x, y) }
	for _, r := range a.Ranges {
		if r.Type != "ECOSYSTEM" && r.Type != "SEMVER" {
			continue
		}
		c := cmp
		if r.Type == "SEMVER" {
			c = version.CompareSemVer
		}
		if m, ok := inRange(r.Events, ver, c); ok {
			return m, true
		}
	}
	for _, v := range a.Versions {
		if v == ver || (scheme != version.SchemeUnknown && cmp(v, ver) == 0) {
			return Match{Range: "listed in versions"}, true
		}
	}
	return Match{}, false
}

// eventVersion returns the event's version and kind.
func eventVersion(e Event) (string, byte) {
	switch {
	case e.Introduced != "":
		return e.Introduced, 'i'
	case e.Fixed != "":
		return e.Fixed, 'f'
	case e.LastAffected != "":
		return e.LastAffected, 'l'
	case e.Limit != "":
		return e.Limit, 'm'
	}
	return "", 0
}

func inRange(events []Event, ver string, cmp func(a, b string) int) (Match, bool) {
	hasLimit, below := false, false
	for _, e := range events {
		if e.Limit != "" {
			hasLimit = true
			if e.Limit == "*" || cmp(ver, e.Limit) < 0 {
				below = true
			}
		}
	}
	if hasLimit && !below {
		return Match{}, false
	}
	evs := events
	order := func(x, y Event) int {
		xv, xk := eventVersion(x)
		yv, yk := eventVersion(y)
		switch {
		case xk == 'i' && xv == "0" && !(yk == 'i' && yv == "0"):
			return -1
		case yk == 'i' && yv == "0" && !(xk == 'i' && xv == "0"):
			return 1
		}
		if c := cmp(xv, yv); c != 0 {
			return c
		}
		if xk == 'i' && yk != 'i' {
			return -1
		}
		if yk == 'i' && xk != 'i' {
			return 1
		}
		return 0
	}
	// Most records list events in order already (introduced "0", fixed):
	// only copy and sort when needed, never modifying the shared record.
	if hasLimit || !slices.IsSortedFunc(evs, order) {
		evs = make([]Event, 0, len(events))
		for _, e := range events {
			if e.Limit == "" {
				evs = append(evs, e)
			}
		}
		// Sort by version with introduced "0" first; on equal versions
		// keep introduced before fixed so that a fix at the same version wins.
		slices.SortStableFunc(evs, order)
	}
	vulnerable := false
	last := -1
	for i, e := range evs {
		v, k := eventVersion(e)
		switch {
		case k == 'i' && (v == "0" || cmp(ver, v) >= 0):
			vulnerable, last = true, i
		case k == 'f' && cmp(ver, v) >= 0:
			vulnerable, last = false, i
		case k == 'l' && cmp(ver, v) > 0:
			vulnerable, last = false, i
		}
	}
	if !vulnerable {
		return Match{}, false
	}
	intro, _ := eventVersion(evs[last])
	m := Match{Range: "introduced " + intro}
	for _, e := range evs[last+1:] {
		v, k := eventVersion(e)
		if k == 'f' {
			m.Fixed = v
			m.Range += ", fixed " + v
			break
		}
		if k == 'l' {
			m.LastAffected = v
			m.Range += ", last_affected " + v
			break
		}
	}
	if m.Fixed == "" && m.LastAffected == "" {
		m.Range += ", no fix"
	}
	return m, true
}

// ReleaseKey maps an ecosystem to the key both records and inventories are
// indexed by, so that "Ubuntu:Pro:22.04:LTS" records apply to an
// "Ubuntu:22.04:LTS" host and "Red Hat:enterprise_linux:9::appstream" to a
// "Red Hat:9" host, while "Debian:11" never matches a "Debian:12" host.
func ReleaseKey(eco string) string {
	base, rest, _ := strings.Cut(eco, ":")
	switch base {
	case "Ubuntu":
		// Ubuntu:[Pro:|Pro:FIPS...:]NN.NN[:LTS]
		for _, f := range strings.Split(rest, ":") {
			if f != "" && f[0] >= '0' && f[0] <= '9' {
				return "Ubuntu:" + f
			}
		}
		return "Ubuntu"
	case "Red Hat":
		// Red Hat:enterprise_linux:9::appstream, Red Hat:rhel_aus:8.4::appstream
		for _, f := range strings.Split(rest, ":") {
			if f != "" && f[0] >= '0' && f[0] <= '9' {
				major, _, _ := strings.Cut(f, ".")
				return "Red Hat:" + major
			}
		}
		return "Red Hat"
	case "Rocky Linux", "AlmaLinux":
		major, _, _ := strings.Cut(rest, ".")
		if major == "" {
			return base
		}
		return base + ":" + major
	case "PyPI":
		return "PyPI"
	}
	return eco
}

// NormalizeName makes package names comparable where the ecosystem
// treats them case-insensitively (PyPI: PEP 503).
func NormalizeName(eco, name string) string {
	if strings.HasPrefix(eco, "PyPI") {
		name = strings.ToLower(name)
		return strings.NewReplacer("_", "-", ".", "-").Replace(name)
	}
	return name
}
