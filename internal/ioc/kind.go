package ioc

import (
	"fmt"
	"net/netip"
	"strings"
)

// Kind is the type of an indicator.
type Kind uint8

// Indicator kinds.
const (
	KindUnknown Kind = iota
	KindMD5
	KindSHA1
	KindSHA256
	KindIP
	KindCIDR
	KindIPPort
	KindDomain
	KindURL
	KindJA3
	KindJA4
	numKinds
)

var kindNames = [numKinds]string{"unknown", "md5", "sha1", "sha256", "ip", "cidr", "ip:port", "domain", "url", "ja3", "ja4"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Indicator is one indicator as read from a feed.
type Indicator struct {
	Kind   Kind
	Value  string // as written in the feed; Add normalises it
	Threat string // malware family or description, may be empty
	Source string // feed name (usually the file name)
}

// Classify guesses the kind of a bare indicator value as found in a plain
// list: hex of length 32/40/64 is a hash, then IP, CIDR, IP:port, URL
// (scheme or a slash), JA4, else a domain. It reports KindUnknown for values
// that are none of these (spaces, empty labels, ...).
func Classify(v string) Kind {
	v = strings.TrimSpace(v)
	if v == "" {
		return KindUnknown
	}
	if isHex(v) {
		switch len(v) {
		case 32:
			return KindMD5
		case 40:
			return KindSHA1
		case 64:
			return KindSHA256
		}
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return KindIP
	}
	if _, err := netip.ParsePrefix(v); err == nil {
		return KindCIDR
	}
	if _, err := netip.ParseAddrPort(v); err == nil {
		return KindIPPort
	}
	if strings.Contains(v, "://") || strings.IndexByte(v, '/') > 0 {
		return KindURL
	}
	if isJA4(v) {
		return KindJA4
	}
	if _, ok := normDomain(v); ok && strings.IndexByte(strings.Trim(v, "."), '.') > 0 {
		return KindDomain
	}
	return KindUnknown
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return len(s) > 0
}

// isJA4 recognises the JA4 TLS client fingerprint shape
// "t13d1516h2_8daaf6152771_b186095e22b6" (a_b_c with 10+12+12 characters).
func isJA4(s string) bool {
	if len(s) != 36 || s[10] != '_' || s[23] != '_' {
		return false
	}
	if c := s[0]; c != 't' && c != 'q' && c != 'd' {
		return false
	}
	return isHex(s[11:23]) && isHex(s[24:])
}

// normDomain lower-cases a domain, strips a trailing dot and a leading "*."
// or ".", and checks it has at least one label and only host-name bytes
// (underscores allowed, as real feeds carry them).
func normDomain(v string) (string, bool) {
	v = strings.TrimSuffix(v, ".")
	v = strings.TrimPrefix(v, "*.")
	v = strings.TrimPrefix(v, ".")
	if v == "" || len(v) > 253 {
		return "", false
	}
	hasUpper := false
	labelLen := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			if labelLen == 0 {
				return "", false
			}
			labelLen = 0
			continue
		case 'A' <= c && c <= 'Z':
			hasUpper = true
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case c >= 0x80: // IDN in UTF-8; kept as written
		default:
			return "", false
		}
		labelLen++
		if labelLen > 63 {
			return "", false
		}
	}
	if labelLen == 0 {
		return "", false
	}
	if hasUpper {
		v = strings.ToLower(v)
	}
	return v, true
}

// normURL reduces a URL to host+path[?query] with a lower-case host, no
// scheme, no default port, no fragment, so that http and https, and
// different spellings of the host, meet. ok is false if there is no host.
func normURL(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "://"); i >= 0 {
		v = v[i+3:]
	}
	if i := strings.IndexByte(v, '#'); i >= 0 {
		v = v[:i]
	}
	hostEnd := strings.IndexAny(v, "/?")
	host, rest := v, "/"
	if hostEnd >= 0 {
		host, rest = v[:hostEnd], v[hostEnd:]
		if rest[0] == '?' {
			rest = "/" + rest
		}
	}
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		host = host[at+1:]
	}
	host = strings.TrimSuffix(strings.TrimSuffix(host, ":80"), ":443")
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return "", false
	}
	return host + rest, true
}
