package sigma

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/medshield/medshield/internal/sigma/syntax"
)

// MaxRegexLength bounds one |re value; RE2 matching is linear in the input
// but compile cost and memory grow with the pattern.
const MaxRegexLength = 4096

// MaxExpansions bounds how many values one rule value may expand into
// (placeholders, base64offset).
const MaxExpansions = 4096

// mods is a parsed modifier chain.
type mods struct {
	wrap1, wrap2 bool // leading / trailing * (endswith, startswith, contains)
	all          bool
	re           bool
	reFlags      string
	cidr         bool
	exists       bool
	fieldref     bool
	cased        bool
	windash      bool
	neq          bool
	expand       bool
	cmp          string   // gt, gte, lt, lte
	part         string   // minute ... year
	encoders     []string // in chain order
	names        []string // as written, for messages
}

func parseMods(list []string) (mods, error) {
	var m mods
	m.names = list
	wildOps := 0
	for _, name := range list {
		switch strings.ToLower(name) {
		case "contains":
			m.wrap1, m.wrap2 = true, true
			wildOps++
		case "startswith":
			m.wrap2 = true
			wildOps++
		case "endswith":
			m.wrap1 = true
			wildOps++
		case "all":
			m.all = true
		case "re":
			m.re = true
		case "i", "m", "s":
			m.reFlags += strings.ToLower(name)
		case "cidr":
			m.cidr = true
		case "base64", "base64offset", "wide", "utf16le", "utf16be", "utf16":
			m.encoders = append(m.encoders, strings.ToLower(name))
		case "windash":
			m.windash = true
		case "exists":
			m.exists = true
		case "fieldref":
			m.fieldref = true
		case "cased":
			m.cased = true
		case "neq":
			m.neq = true
		case "expand":
			m.expand = true
		case "gt", "gte", "lt", "lte":
			if m.cmp != "" {
				return m, fmt.Errorf("modifiers %s and %s both compare", m.cmp, name)
			}
			m.cmp = strings.ToLower(name)
		case "minute", "hour", "day", "week", "month", "year":
			m.part = strings.ToLower(name)
		case "":
			return m, fmt.Errorf("empty modifier (two | in a row)")
		default:
			return m, fmt.Errorf("modifier %q is not in the Sigma specification", name)
		}
	}
	switch {
	case wildOps > 1:
		return m, fmt.Errorf("only one of contains, startswith and endswith may be used")
	case m.reFlags != "" && !m.re:
		return m, fmt.Errorf("regex flags (i, m, s) need the re modifier")
	case m.re && (wildOps > 0 || m.cidr || len(m.encoders) > 0 || m.windash || m.cmp != "" || m.fieldref):
		return m, fmt.Errorf("re cannot be combined with %s", strings.Join(m.others("re", "i", "m", "s", "all"), ", "))
	case m.cidr && len(m.others("cidr", "all")) > 0:
		return m, fmt.Errorf("cidr cannot be combined with %s", strings.Join(m.others("cidr", "all"), ", "))
	case m.exists && len(m.others("exists")) > 0:
		return m, fmt.Errorf("exists cannot be combined with other modifiers")
	case m.cmp != "" && (wildOps > 0 || len(m.encoders) > 0 || m.windash || m.fieldref):
		return m, fmt.Errorf("%s compares numbers and cannot be combined with string modifiers", m.cmp)
	case m.fieldref && (len(m.encoders) > 0 || m.windash || m.expand):
		return m, fmt.Errorf("fieldref cannot be combined with encoding, windash or expand")
	}
	return m, nil
}

func (m mods) others(except ...string) []string {
	var out []string
outer:
	for _, n := range m.names {
		for _, e := range except {
			if strings.EqualFold(n, e) {
				continue outer
			}
		}
		out = append(out, n)
	}
	return out
}

// expandValue replaces %name% placeholders (not escaped as \%) with every
// value of the placeholder table; the result is still a Sigma string.
func expandValue(s string, table map[string][]string) ([]string, error) {
	out := []string{""}
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '%':
			for j := range out {
				out[j] += "%"
			}
			i += 2
		case s[i] == '%':
			end := strings.IndexByte(s[i+1:], '%')
			if end < 0 {
				for j := range out {
					out[j] += s[i:]
				}
				i = len(s)
				continue
			}
			name := s[i+1 : i+1+end]
			vals, ok := lookupPlaceholder(table, name)
			if !ok {
				return nil, fmt.Errorf("placeholder %%%s%% is not defined (define it under placeholders: in the mapping file)", name)
			}
			if len(out)*len(vals) > MaxExpansions {
				return nil, fmt.Errorf("placeholder %%%s%% expands to more than %d values", name, MaxExpansions)
			}
			var next []string
			for _, o := range out {
				for _, v := range vals {
					next = append(next, o+v)
				}
			}
			out = next
			i += end + 2
		default:
			j := i + 1
			for j < len(s) && s[j] != '%' && s[j] != '\\' {
				j++
			}
			for k := range out {
				out[k] += s[i:j]
			}
			i = j
		}
	}
	return out, nil
}

func lookupPlaceholder(table map[string][]string, name string) ([]string, bool) {
	if v, ok := table[name]; ok {
		return v, true
	}
	for k, v := range table {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// encode applies one encoding modifier to plain text.
func encode(enc string, in []string) []string {
	var out []string
	for _, s := range in {
		switch enc {
		case "base64":
			out = append(out, base64.StdEncoding.EncodeToString([]byte(s)))
		case "base64offset":
			out = append(out, base64Offsets(s)...)
		case "wide", "utf16le":
			out = append(out, utf16Bytes(s, false, false))
		case "utf16be":
			out = append(out, utf16Bytes(s, true, false))
		case "utf16":
			out = append(out, utf16Bytes(s, false, true))
		}
	}
	return out
}

// base64Offsets returns the three encodings of s at byte offsets 0, 1 and 2
// of a longer base64 text, without the characters that depend on the
// neighbouring bytes.
func base64Offsets(s string) []string {
	starts := [3]int{0, 2, 3}
	var out []string
	for i := 0; i < 3; i++ {
		b := base64.StdEncoding.EncodeToString(append(make([]byte, i), s...))
		end := len(b)
		switch (len(s) + i) % 3 {
		case 1:
			end -= 3
		case 2:
			end -= 2
		}
		if starts[i] < end {
			out = append(out, b[starts[i]:end])
		}
	}
	return out
}

func utf16Bytes(s string, bigEndian, bom bool) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u)+2)
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, c := range u {
		if bigEndian {
			b = append(b, byte(c>>8), byte(c))
		} else {
			b = append(b, byte(c), byte(c>>8))
		}
	}
	return string(b)
}

// compileRegex compiles a Sigma |re value with RE2, explaining the PCRE
// features RE2 lacks.
func compileRegex(expr, flags string) (*regexp.Regexp, error) {
	if len(expr) > MaxRegexLength {
		return nil, fmt.Errorf("regular expression is %d bytes, more than the limit of %d", len(expr), MaxRegexLength)
	}
	for _, f := range []struct{ tok, what string }{
		{"(?=", "lookahead (?=...)"}, {"(?!", "negative lookahead (?!...)"},
		{"(?<=", "lookbehind (?<=...)"}, {"(?<!", "negative lookbehind (?<!...)"},
		{"(?>", "atomic group (?>...)"}, {"*+", "possessive quantifier *+"}, {"++", "possessive quantifier ++"},
	} {
		if strings.Contains(expr, f.tok) {
			return nil, fmt.Errorf("regular expression uses %s, which RE2 (Go's linear-time engine) does not support", f.what)
		}
	}
	if backref.MatchString(expr) {
		return nil, fmt.Errorf("regular expression uses a backreference (%s), which RE2 (Go's linear-time engine) does not support", backref.FindString(expr))
	}
	prefix := ""
	if flags != "" {
		prefix = "(?" + dedupe(flags) + ")"
	}
	re, err := regexp.Compile(prefix + expr)
	if err != nil {
		return nil, fmt.Errorf("regular expression does not compile with RE2: %v", err)
	}
	return re, nil
}

var backref = regexp.MustCompile(`(^|[^\\])(\\\\)*\\[1-9]`)

func dedupe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !strings.ContainsRune(b.String(), r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// valueTexts returns the rule's values as Sigma strings after placeholder
// expansion, one group of alternatives per value as written.
func valueTexts(fs *syntax.FieldSpec, m mods, table map[string][]string) ([][]string, error) {
	var out [][]string
	total := 0
	for _, v := range fs.Values {
		if v.Kind == syntax.Null {
			return nil, fmt.Errorf("null cannot be one of several values or take modifiers; put Field: null in its own selection")
		}
		alts := []string{v.Text}
		if m.expand && v.Kind == syntax.String {
			var err error
			if alts, err = expandValue(v.Text, table); err != nil {
				return nil, err
			}
		}
		total += len(alts)
		if total > MaxExpansions {
			return nil, fmt.Errorf("more than %d values after expansion", MaxExpansions)
		}
		out = append(out, alts)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, err
	}
	return p.Masked(), nil
}

func parseFloat(s string) (float64, error) {
	f, ok := parseNumber(s)
	if !ok {
		return 0, strconv.ErrSyntax
	}
	return f, nil
}
