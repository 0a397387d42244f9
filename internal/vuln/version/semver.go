package version

import (
	"fmt"
	"strings"
)

// SemVer is a parsed semantic version. Core holds the dot-separated numeric
// components (usually three; OSV's SEMVER comparator tolerates more).
type SemVer struct {
	Core       []string // decimal strings without leading zeros
	Prerelease []string
	Build      string
}

// ParseSemVer parses a SemVer 2.0.0 string, tolerating a leading "v", fewer
// or more than three core components and numbers of any size.
func ParseSemVer(s string) (SemVer, error) {
	orig := s
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	if s == "" {
		return SemVer{}, fmt.Errorf("empty semver %q", orig)
	}
	var v SemVer
	if i := strings.IndexByte(s, '+'); i >= 0 {
		v.Build = s[i+1:]
		s = s[:i]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		pre := s[i+1:]
		s = s[:i]
		if pre == "" {
			return SemVer{}, fmt.Errorf("semver %q: empty prerelease", orig)
		}
		v.Prerelease = strings.Split(pre, ".")
	}
	for _, c := range strings.Split(s, ".") {
		if c == "" {
			return SemVer{}, fmt.Errorf("semver %q: empty component", orig)
		}
		for k := 0; k < len(c); k++ {
			if !isDigit(c[k]) {
				return SemVer{}, fmt.Errorf("semver %q: component %q is not a number", orig, c)
			}
		}
		c = strings.TrimLeft(c, "0")
		v.Core = append(v.Core, c)
	}
	return v, nil
}

// CompareSemVer compares two SemVer strings by SemVer 2.0.0 precedence;
// strings that do not parse sort before valid ones and among themselves as
// text.
func CompareSemVer(a, b string) int {
	va, errA := ParseSemVer(a)
	vb, errB := ParseSemVer(b)
	if errA != nil || errB != nil {
		return cmpInvalid(a, b, errA, errB)
	}
	return va.Compare(vb)
}

// Compare orders by precedence: core numbers (missing ones are 0), then a
// version with a prerelease sorts before the same version without one;
// build metadata never counts.
func (v SemVer) Compare(o SemVer) int {
	n := max(len(v.Core), len(o.Core))
	for i := 0; i < n; i++ {
		var a, b string
		if i < len(v.Core) {
			a = v.Core[i]
		}
		if i < len(o.Core) {
			b = o.Core[i]
		}
		if c := cmpDigits(a, b); c != 0 {
			return c
		}
	}
	switch {
	case len(v.Prerelease) == 0 && len(o.Prerelease) == 0:
		return 0
	case len(v.Prerelease) == 0:
		return 1
	case len(o.Prerelease) == 0:
		return -1
	}
	for i := 0; i < len(v.Prerelease) && i < len(o.Prerelease); i++ {
		a, b := v.Prerelease[i], o.Prerelease[i]
		an, bn := allDigits(a), allDigits(b)
		var c int
		switch {
		case an && bn:
			c = cmpDigits(a, b)
		case an:
			c = -1 // numeric identifiers have lower precedence
		case bn:
			c = 1
		default:
			c = strings.Compare(a, b)
		}
		if c != 0 {
			return c
		}
	}
	return sign(len(v.Prerelease) - len(o.Prerelease))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
