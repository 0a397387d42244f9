package sigma

import "strings"

// valueSet answers "does a value equal, or end with, one of many needles"
// with hash lookups instead of one comparison per needle. Long lists are
// common in Sigma rules (Image|endswith with dozens of tools), and a
// Sysmon process creation meets over a thousand such rules.
type valueSet struct {
	eq map[string]struct{}
	// suffix needles that start with a path separator, by the number of
	// separators they hold: a value ends with `\bin\cmd.exe` exactly when
	// its tail from its second-to-last `\` is that needle.
	suf  map[int]map[string]struct{}
	sep  byte
	maxK int
}

// minSetSize is the list length from which a set pays for its hashing.
const minSetSize = 6

// buildValueSet moves the equality and separator-led suffix needles of ms
// into a set when there are enough of them; it returns the set (nil when
// not worth it) and the matchers left for a linear scan.
func buildValueSet(ms []strMatcher) (*valueSet, []strMatcher) {
	nEq, nSuf := 0, 0
	for _, m := range ms {
		switch {
		case m.op == opEq:
			nEq++
		case m.op == opSuffix && sepSuffix(m.s) != 0:
			nSuf++
		}
	}
	useEq, useSuf := nEq >= minSetSize, nSuf >= minSetSize
	if !useEq && !useSuf {
		return nil, ms
	}
	vs := &valueSet{}
	var rest []strMatcher
	for _, m := range ms {
		switch {
		case useEq && m.op == opEq:
			if vs.eq == nil {
				vs.eq = map[string]struct{}{}
			}
			vs.eq[m.s] = struct{}{}
		case useSuf && m.op == opSuffix && sepSuffix(m.s) != 0:
			sep := sepSuffix(m.s)
			if vs.sep == 0 {
				vs.sep = sep
			}
			if sep != vs.sep {
				rest = append(rest, m) // mixed separators: keep it simple
				continue
			}
			k := strings.Count(m.s, string(sep))
			if vs.suf == nil {
				vs.suf = map[int]map[string]struct{}{}
			}
			if vs.suf[k] == nil {
				vs.suf[k] = map[string]struct{}{}
			}
			vs.suf[k][m.s] = struct{}{}
			vs.maxK = max(vs.maxK, k)
		default:
			rest = append(rest, m)
		}
	}
	return vs, rest
}

// sepSuffix returns the separator a suffix needle starts with, or 0.
func sepSuffix(s string) byte {
	if len(s) > 1 && (s[0] == '\\' || s[0] == '/') {
		return s[0]
	}
	return 0
}

func (vs *valueSet) match(v string) bool {
	if vs.eq != nil {
		if _, ok := vs.eq[v]; ok {
			return true
		}
	}
	if vs.suf == nil {
		return false
	}
	end := len(v)
	for k := 1; k <= vs.maxK; k++ {
		i := strings.LastIndexByte(v[:end], vs.sep)
		if i < 0 {
			return false
		}
		if set := vs.suf[k]; set != nil {
			if _, ok := set[v[i:]]; ok {
				return true
			}
		}
		end = i
	}
	return false
}
