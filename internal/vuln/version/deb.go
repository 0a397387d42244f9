package version

import (
	"fmt"
	"strings"
)

// Deb is a parsed Debian version: [epoch:]upstream[-revision].
type Deb struct {
	Epoch    string // decimal digits, "" means 0
	Upstream string
	Revision string
}

// ParseDeb splits a Debian version string. It is lenient like current
// Dpkg::Version (an empty revision after a trailing '-' is accepted) but
// rejects what can never be a version: empty strings, a non-numeric epoch,
// and whitespace inside the version.
func ParseDeb(s string) (Deb, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Deb{}, fmt.Errorf("empty debian version")
	}
	if strings.ContainsAny(s, " \t\n\r") {
		return Deb{}, fmt.Errorf("debian version %q contains whitespace", s)
	}
	var d Deb
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		d.Epoch = rest[:i]
		rest = rest[i+1:]
		if d.Epoch == "" {
			return Deb{}, fmt.Errorf("debian version %q: epoch is empty", s)
		}
		for i := 0; i < len(d.Epoch); i++ {
			if d.Epoch[i] < '0' || d.Epoch[i] > '9' {
				return Deb{}, fmt.Errorf("debian version %q: epoch %q is not a number", s, d.Epoch)
			}
		}
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		d.Upstream, d.Revision = rest[:i], rest[i+1:]
	} else {
		d.Upstream = rest
	}
	return d, nil
}

// CompareDeb compares two Debian version strings and returns -1, 0 or 1.
// Strings that do not parse compare as raw text after all valid versions'
// rules have been applied to their parts, so the result is still a total
// order; use ParseDeb first when validity matters.
func CompareDeb(a, b string) int {
	da, errA := ParseDeb(a)
	db, errB := ParseDeb(b)
	if errA != nil || errB != nil {
		return cmpInvalid(a, b, errA, errB)
	}
	return da.Compare(db)
}

// Compare orders two parsed Debian versions as dpkg does.
func (d Deb) Compare(o Deb) int {
	if c := cmpDigits(d.Epoch, o.Epoch); c != 0 {
		return c
	}
	if c := verrevcmp(d.Upstream, o.Upstream); c != 0 {
		return c
	}
	return verrevcmp(d.Revision, o.Revision)
}

func (d Deb) String() string {
	s := d.Upstream
	if d.Epoch != "" {
		s = d.Epoch + ":" + s
	}
	if d.Revision != "" {
		s += "-" + d.Revision
	}
	return s
}

// debOrder is dpkg's order(): '~' sorts before everything, even the end of
// the string; letters sort before non-letters.
func debOrder(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return 0
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		return int(c)
	case c == '~':
		return -1
	case c == 0:
		return 0
	default:
		return int(c) + 256
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// verrevcmp is dpkg's comparison of upstream or revision strings: alternate
// non-digit runs (compared with debOrder) and digit runs (compared as
// numbers of any length).
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			var ca, cb byte
			if i < len(a) {
				ca = a[i]
			}
			if j < len(b) {
				cb = b[j]
			}
			ac, bc := debOrder(ca), debOrder(cb)
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return sign(firstDiff)
		}
	}
	return 0
}

// cmpDigits compares two decimal strings of any length ("" is 0).
func cmpDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// cmpInvalid gives a deterministic order when a version does not parse:
// invalid sorts before valid, and two invalid strings compare as text.
func cmpInvalid(a, b string, errA, errB error) int {
	switch {
	case errA != nil && errB != nil:
		return strings.Compare(a, b)
	case errA != nil:
		return -1
	default:
		return 1
	}
}
