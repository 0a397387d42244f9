package version

import (
	"fmt"
	"regexp"
	"strings"
)

// PEP440 is a parsed Python package version (PEP 440):
// [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local].
type PEP440 struct {
	Epoch   string
	Release []string // decimal strings without leading zeros
	PreKind int      // 0 none, 1 a, 2 b, 3 rc
	Pre     string
	HasPost bool
	Post    string
	HasDev  bool
	Dev     string
	Local   []string
}

// The canonical PEP 440 pattern (Appendix B), case-insensitive.
var pep440Re = regexp.MustCompile(`(?i)^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$`)

// ParsePEP440 parses a Python version with PEP 440's normalisations
// (alpha→a, c/pre/preview→rc, rev/r→post, implicit numbers are 0).
func ParsePEP440(s string) (PEP440, error) {
	m := pep440Re.FindStringSubmatch(s)
	if m == nil {
		return PEP440{}, fmt.Errorf("invalid PEP 440 version %q", s)
	}
	var v PEP440
	v.Epoch = strings.TrimLeft(m[1], "0")
	for _, r := range strings.Split(m[2], ".") {
		v.Release = append(v.Release, strings.TrimLeft(r, "0"))
	}
	switch strings.ToLower(m[3]) {
	case "a", "alpha":
		v.PreKind = 1
	case "b", "beta":
		v.PreKind = 2
	case "c", "rc", "pre", "preview":
		v.PreKind = 3
	}
	v.Pre = strings.TrimLeft(m[4], "0")
	if m[5] != "" {
		v.HasPost, v.Post = true, strings.TrimLeft(m[5], "0")
	} else if m[6] != "" {
		v.HasPost, v.Post = true, strings.TrimLeft(m[7], "0")
	}
	if m[8] != "" {
		v.HasDev, v.Dev = true, strings.TrimLeft(m[9], "0")
	}
	if m[10] != "" {
		v.Local = strings.FieldsFunc(strings.ToLower(m[10]), func(r rune) bool { return r == '.' || r == '-' || r == '_' })
	}
	return v, nil
}

// ComparePEP440 compares two Python versions; invalid ones sort first.
func ComparePEP440(a, b string) int {
	va, errA := ParsePEP440(a)
	vb, errB := ParsePEP440(b)
	if errA != nil || errB != nil {
		return cmpInvalid(a, b, errA, errB)
	}
	return va.Compare(vb)
}

// phaseKey orders the suffix phases of one release: dev-only releases
// first, then pre-releases, the final release, post-releases.
func (v PEP440) phase() int {
	switch {
	case v.PreKind == 0 && !v.HasPost && v.HasDev:
		return 0 // 1.0.dev1 < 1.0a1
	case v.PreKind > 0:
		return v.PreKind // 1 a, 2 b, 3 rc
	}
	return 4 // final or post
}

// Compare orders by epoch, release (trailing zeros ignored), then
// dev < pre < final < post, dev of each phase first, then local labels.
func (v PEP440) Compare(o PEP440) int {
	if c := cmpDigits(v.Epoch, o.Epoch); c != 0 {
		return c
	}
	n := max(len(v.Release), len(o.Release))
	for i := 0; i < n; i++ {
		var x, y string
		if i < len(v.Release) {
			x = v.Release[i]
		}
		if i < len(o.Release) {
			y = o.Release[i]
		}
		if c := cmpDigits(x, y); c != 0 {
			return c
		}
	}
	if c := sign(v.phase() - o.phase()); c != 0 {
		return c
	}
	if v.PreKind > 0 {
		if c := cmpDigits(v.Pre, o.Pre); c != 0 {
			return c
		}
	}
	// Post: absent < present.
	switch {
	case v.HasPost && !o.HasPost:
		return 1
	case !v.HasPost && o.HasPost:
		return -1
	case v.HasPost:
		if c := cmpDigits(v.Post, o.Post); c != 0 {
			return c
		}
	}
	// Dev: present < absent.
	switch {
	case v.HasDev && !o.HasDev:
		return -1
	case !v.HasDev && o.HasDev:
		return 1
	case v.HasDev:
		if c := cmpDigits(v.Dev, o.Dev); c != 0 {
			return c
		}
	}
	// Local: absent < present; numeric segments > alphanumeric ones.
	for i := 0; i < len(v.Local) && i < len(o.Local); i++ {
		x, y := v.Local[i], o.Local[i]
		xn, yn := allDigits(x), allDigits(y)
		var c int
		switch {
		case xn && yn:
			c = cmpDigits(strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0"))
		case xn:
			c = 1
		case yn:
			c = -1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return sign(len(v.Local) - len(o.Local))
}
