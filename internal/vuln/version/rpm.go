package version

import "strings"

// RPM is a parsed RPM EVR: [epoch:]version[-release].
type RPM struct {
	Epoch      string // "" means 0
	Version    string
	Release    string
	HasRelease bool // "1" and "1-" differ: an absent release sorts first
}

// ParseRPM splits an EVR the way rpm's rpmverParse does: the epoch is the
// leading run of digits only when a ':' follows it ("a:1" has no epoch),
// and the release starts after the last '-' that follows the epoch.
func ParseRPM(s string) RPM {
	var r RPM
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	rest := s
	if n < len(s) && s[n] == ':' {
		r.Epoch = s[:n]
		rest = s[n+1:]
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		r.Version, r.Release, r.HasRelease = rest[:i], rest[i+1:], true
	} else {
		r.Version = rest
	}
	return r
}

// CompareRPM compares two EVR strings as rpm.vercmp does; -1, 0 or 1.
func CompareRPM(a, b string) int { return ParseRPM(a).Compare(ParseRPM(b)) }

// Compare orders two EVRs: epoch, then version, then release.
func (r RPM) Compare(o RPM) int {
	ea, eb := r.Epoch, o.Epoch
	if ea == "" {
		ea = "0"
	}
	if eb == "" {
		eb = "0"
	}
	if c := Rpmvercmp(ea, eb); c != 0 {
		return c
	}
	if c := Rpmvercmp(r.Version, o.Version); c != 0 {
		return c
	}
	switch {
	case r.HasRelease && o.HasRelease:
		return Rpmvercmp(r.Release, o.Release)
	case r.HasRelease:
		return 1
	case o.HasRelease:
		return -1
	}
	return 0
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// Rpmvercmp is rpm's segment comparison of one version or release string:
// ASCII alphanumerics form segments, anything else separates them, '~'
// sorts before everything and '^' after the base version but before any
// further segment.
func Rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	sep := func(c byte) bool { return !isDigit(c) && !isAlpha(c) && c != '~' && c != '^' }
	for i < len(a) || j < len(b) {
		for i < len(a) && sep(a[i]) {
			i++
		}
		for j < len(b) && sep(b[j]) {
			j++
		}
		ca, cb := at(a, i), at(b, j)
		if ca == '~' || cb == '~' {
			if ca != '~' {
				return 1
			}
			if cb != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		if ca == '^' || cb == '^' {
			switch {
			case i >= len(a):
				return -1
			case j >= len(b):
				return 1
			case ca != '^':
				return 1
			case cb != '^':
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		isNum := isDigit(a[i])
		if isNum {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		if sj == j {
			// Different segment types: numeric is newer than alpha.
			if isNum {
				return 1
			}
			return -1
		}
		sa, sb := a[si:i], b[sj:j]
		if isNum {
			sa = strings.TrimLeft(sa, "0")
			sb = strings.TrimLeft(sb, "0")
			if len(sa) != len(sb) {
				return sign(len(sa) - len(sb))
			}
		}
		if c := strings.Compare(sa, sb); c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}
