package ioc

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
)

// Match is the answer to a successful lookup.
type Match struct {
	Kind      Kind
	Indicator string // the stored indicator that matched (e.g. the parent domain)
	Threat    string
	Source    string
}

// meta is interned: feeds repeat the same (threat, source) pair millions of
// times, so each indicator stores a 32-bit index instead of two strings.
type meta struct{ threat, source string }

// Set is a collection of indicators. Fill it with Add or the readers, then
// share it: lookups are safe for concurrent use once loading has finished;
// Add is not safe concurrently with anything.
type Set struct {
	metas  []meta
	metaIx map[meta]int32

	md5    map[[16]byte]int32
	sha1   map[[20]byte]int32
	sha256 map[[32]byte]int32
	ips    map[netip.Addr]int32
	ipport map[netip.AddrPort]int32
	// cidrs[bits] holds networks of that prefix length keyed by their
	// masked address; cidrBits4/6 list the lengths present, longest first.
	cidrs4    map[int]map[netip.Addr]int32
	cidrs6    map[int]map[netip.Addr]int32
	cidrBits4 []int
	cidrBits6 []int
	domains   map[string]int32
	urls      map[string]int32
	ja3       map[[16]byte]int32
	ja4       map[string]int32

	counts [numKinds]int
	dups   int
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{
		metaIx: map[meta]int32{},
		md5:    map[[16]byte]int32{}, sha1: map[[20]byte]int32{}, sha256: map[[32]byte]int32{},
		ips: map[netip.Addr]int32{}, ipport: map[netip.AddrPort]int32{},
		cidrs4: map[int]map[netip.Addr]int32{}, cidrs6: map[int]map[netip.Addr]int32{},
		domains: map[string]int32{}, urls: map[string]int32{},
		ja3: map[[16]byte]int32{}, ja4: map[string]int32{},
	}
}

// Len is the number of distinct indicators.
func (s *Set) Len() int {
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

// Count is the number of distinct indicators of one kind.
func (s *Set) Count(k Kind) int {
	if k >= numKinds {
		return 0
	}
	return s.counts[k]
}

// Duplicates is how many added indicators were already present.
func (s *Set) Duplicates() int { return s.dups }

func (s *Set) metaOf(threat, source string) int32 {
	m := meta{threat, source}
	if i, ok := s.metaIx[m]; ok {
		return i
	}
	i := int32(len(s.metas))
	s.metas = append(s.metas, m)
	s.metaIx[m] = i
	return i
}

// Add normalises and stores one indicator. A repeated indicator keeps its
// first threat/source and counts as a duplicate.
func (s *Set) Add(ind Indicator) error {
	v := strings.TrimSpace(ind.Value)
	k := ind.Kind
	if k == KindUnknown {
		k = Classify(v)
	}
	mi := s.metaOf(ind.Threat, ind.Source)
	fresh := false
	switch k {
	case KindMD5, KindJA3:
		var b [16]byte
		if len(v) != 32 || !decodeHex(b[:], v) {
			return fmt.Errorf("%s %q: want 32 hex digits", k, clip(v))
		}
		if k == KindMD5 {
			fresh = put(s.md5, b, mi)
		} else {
			fresh = put(s.ja3, b, mi)
		}
	case KindSHA1:
		var b [20]byte
		if len(v) != 40 || !decodeHex(b[:], v) {
			return fmt.Errorf("sha1 %q: want 40 hex digits", clip(v))
		}
		fresh = put(s.sha1, b, mi)
	case KindSHA256:
		var b [32]byte
		if len(v) != 64 || !decodeHex(b[:], v) {
			return fmt.Errorf("sha256 %q: want 64 hex digits", clip(v))
		}
		fresh = put(s.sha256, b, mi)
	case KindIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return fmt.Errorf("ip %q: %w", clip(v), err)
		}
		fresh = put(s.ips, a.Unmap().WithZone(""), mi)
	case KindCIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return fmt.Errorf("cidr %q: %w", clip(v), err)
		}
		fresh = s.addCIDR(p, mi)
	case KindIPPort:
		ap, err := netip.ParseAddrPort(v)
		if err != nil {
			return fmt.Errorf("ip:port %q: %w", clip(v), err)
		}
		fresh = put(s.ipport, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), mi)
	case KindDomain:
		d, ok := normDomain(v)
		if !ok {
			return fmt.Errorf("domain %q: not a host name", clip(v))
		}
		fresh = put(s.domains, d, mi)
	case KindURL:
		u, ok := normURL(v)
		if !ok {
			return fmt.Errorf("url %q: no host", clip(v))
		}
		fresh = put(s.urls, u, mi)
	case KindJA4:
		if !isJA4(strings.ToLower(v)) {
			return fmt.Errorf("ja4 %q: want a_b_c fingerprint of 36 characters", clip(v))
		}
		fresh = put(s.ja4, strings.ToLower(v), mi)
	default:
		return fmt.Errorf("%q: not a recognised indicator", clip(v))
	}
	if fresh {
		s.counts[k]++
	} else {
		s.dups++
	}
	return nil
}

func put[K comparable](m map[K]int32, k K, mi int32) bool {
	if _, ok := m[k]; ok {
		return false
	}
	m[k] = mi
	return true
}

func (s *Set) addCIDR(p netip.Prefix, mi int32) bool {
	p = p.Masked()
	a := p.Addr().Unmap()
	bits := p.Bits()
	if p.Addr().Is4In6() {
		bits -= 96
	}
	tab, list := s.cidrs6, &s.cidrBits6
	if a.Is4() {
		tab, list = s.cidrs4, &s.cidrBits4
	}
	m := tab[bits]
	if m == nil {
		m = map[netip.Addr]int32{}
		tab[bits] = m
		// keep longest first so the most specific network is reported
		i := 0
		for i < len(*list) && (*list)[i] > bits {
			i++
		}
		*list = append(*list, 0)
		copy((*list)[i+1:], (*list)[i:])
		(*list)[i] = bits
	}
	return put(m, a, mi)
}

func (s *Set) match(k Kind, ind string, mi int32) Match {
	m := s.metas[mi]
	return Match{Kind: k, Indicator: ind, Threat: m.threat, Source: m.source}
}

// LookupIP matches an address against IP and CIDR indicators.
func (s *Set) LookupIP(a netip.Addr) (Match, bool) {
	a = a.Unmap().WithZone("")
	if mi, ok := s.ips[a]; ok {
		return s.match(KindIP, a.String(), mi), true
	}
	tab, list := s.cidrs6, s.cidrBits6
	if a.Is4() {
		tab, list = s.cidrs4, s.cidrBits4
	}
	for _, bits := range list {
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if mi, ok := tab[bits][p.Addr()]; ok {
			return s.match(KindCIDR, p.String(), mi), true
		}
	}
	return Match{}, false
}

// LookupIPPort matches an address and port against IP:port indicators only.
func (s *Set) LookupIPPort(ap netip.AddrPort) (Match, bool) {
	ap = netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
	if mi, ok := s.ipport[ap]; ok {
		return s.match(KindIPPort, ap.String(), mi), true
	}
	return Match{}, false
}

// LookupDomain matches a host name or any of its parent domains, in
// O(label count) map probes.
func (s *Set) LookupDomain(name string) (Match, bool) {
	if len(s.domains) == 0 {
		return Match{}, false
	}
	d, ok := normDomain(name)
	if !ok {
		return Match{}, false
	}
	for {
		if mi, ok := s.domains[d]; ok {
			return s.match(KindDomain, d, mi), true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return Match{}, false
		}
		d = d[i+1:]
	}
}

// LookupURL matches a URL (any scheme) exactly, then without its query.
func (s *Set) LookupURL(u string) (Match, bool) {
	if len(s.urls) == 0 {
		return Match{}, false
	}
	n, ok := normURL(u)
	if !ok {
		return Match{}, false
	}
	if mi, ok := s.urls[n]; ok {
		return s.match(KindURL, n, mi), true
	}
	if i := strings.IndexByte(n, '?'); i >= 0 {
		if mi, ok := s.urls[n[:i]]; ok {
			return s.match(KindURL, n[:i], mi), true
		}
	}
	return Match{}, false
}

// LookupHash matches a hex MD5, SHA-1 or SHA-256 digest (chosen by length).
func (s *Set) LookupHash(h string) (Match, bool) {
	switch len(h) {
	case 32:
		var b [16]byte
		if decodeHex(b[:], h) {
			return s.LookupMD5(b)
		}
	case 40:
		var b [20]byte
		if decodeHex(b[:], h) {
			return s.LookupSHA1(b)
		}
	case 64:
		var b [32]byte
		if decodeHex(b[:], h) {
			return s.LookupSHA256(b)
		}
	}
	return Match{}, false
}

// LookupMD5 matches a raw MD5 digest.
func (s *Set) LookupMD5(b [16]byte) (Match, bool) {
	if mi, ok := s.md5[b]; ok {
		return s.match(KindMD5, hex.EncodeToString(b[:]), mi), true
	}
	return Match{}, false
}

// LookupSHA1 matches a raw SHA-1 digest.
func (s *Set) LookupSHA1(b [20]byte) (Match, bool) {
	if mi, ok := s.sha1[b]; ok {
		return s.match(KindSHA1, hex.EncodeToString(b[:]), mi), true
	}
	return Match{}, false
}

// LookupSHA256 matches a raw SHA-256 digest.
func (s *Set) LookupSHA256(b [32]byte) (Match, bool) {
	if mi, ok := s.sha256[b]; ok {
		return s.match(KindSHA256, hex.EncodeToString(b[:]), mi), true
	}
	return Match{}, false
}

// HasHashes reports whether any file hash indicator is loaded, so scanners
// can skip hashing when there is nothing to compare with.
func (s *Set) HasHashes() bool { return len(s.md5)+len(s.sha1)+len(s.sha256) > 0 }

// LookupJA3 matches a JA3 fingerprint (32 hex digits).
func (s *Set) LookupJA3(fp string) (Match, bool) {
	var b [16]byte
	if len(fp) != 32 || !decodeHex(b[:], fp) {
		return Match{}, false
	}
	if mi, ok := s.ja3[b]; ok {
		return s.match(KindJA3, strings.ToLower(fp), mi), true
	}
	return Match{}, false
}

// LookupJA4 matches a JA4 fingerprint.
func (s *Set) LookupJA4(fp string) (Match, bool) {
	if mi, ok := s.ja4[strings.ToLower(fp)]; ok {
		return s.match(KindJA4, strings.ToLower(fp), mi), true
	}
	return Match{}, false
}

func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
