package ioc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// lineIndex turns byte offsets into 1-based line numbers; offsets must be
// asked for in increasing order (which decoding gives), so the whole file
// is scanned once.
type lineIndex struct {
	data []byte
	off  int
	line int
}

func (li *lineIndex) at(off int) int {
	if off > len(li.data) {
		off = len(li.data)
	}
	if off < li.off {
		li.off, li.line = 0, 1
	}
	for off < len(li.data) && (li.data[off] == ' ' || li.data[off] == '\n' || li.data[off] == '\r' || li.data[off] == '\t' || li.data[off] == ',') {
		off++
	}
	li.line += bytes.Count(li.data[li.off:off], []byte("\n"))
	li.off = off
	return li.line
}

type stixObject struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	Revoked     bool   `json:"revoked"`
}

// loadSTIX reads a STIX 2.x bundle (or a bare array of objects, or one
// indicator object) and loads the indicators whose patterns use the simple
// forms: comparisons with = or IN or ISSUBSET joined by OR, and the
// network-traffic dst_ref.value AND dst_port conjunction.
func (s *Set) loadSTIX(data []byte, name string, st *Stats, errs *ErrorList) error {
	li := &lineIndex{data: data, line: 1}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("line %d: %w", li.at(int(dec.InputOffset())), err)
	}
	handle := func(o *stixObject, line int) {
		if o.Type != "indicator" || o.Revoked {
			return
		}
		if o.PatternType != "" && o.PatternType != "stix" {
			st.Skipped++
			return
		}
		inds, err := parseSTIXPattern(o.Pattern)
		if err != nil {
			errs.add(name, line, "indicator pattern %q: %v", clip(o.Pattern), err)
			return
		}
		if len(inds) == 0 {
			st.Skipped++
			return
		}
		for _, ind := range inds {
			ind.Threat, ind.Source = o.Name, name
			if err := s.Add(ind); err != nil {
				errs.add(name, line, "%v", err)
			}
		}
	}
	objects := func() error {
		for dec.More() {
			line := li.at(int(dec.InputOffset()))
			var o stixObject
			if err := dec.Decode(&o); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			handle(&o, line)
		}
		_, err := dec.Token()
		return err
	}
	switch tok {
	case json.Delim('['):
		return objects()
	case json.Delim('{'):
	default:
		return fmt.Errorf("line 1: expected a JSON object or array")
	}
	// Top-level object: a bundle (with "objects") or a single indicator.
	var single stixObject
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return fmt.Errorf("line %d: %w", li.at(int(dec.InputOffset())), err)
		}
		key, _ := kt.(string)
		switch key {
		case "objects":
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return fmt.Errorf("line %d: \"objects\" is not an array", li.at(int(dec.InputOffset())))
			}
			if err := objects(); err != nil {
				return err
			}
		case "type", "name", "pattern", "pattern_type":
			var v string
			if err := dec.Decode(&v); err != nil {
				return fmt.Errorf("line %d: %q: %w", li.at(int(dec.InputOffset())), key, err)
			}
			switch key {
			case "type":
				single.Type = v
			case "name":
				single.Name = v
			case "pattern":
				single.Pattern = v
			case "pattern_type":
				single.PatternType = v
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("line %d: %w", li.at(int(dec.InputOffset())), err)
			}
		}
	}
	if single.Type == "indicator" {
		handle(&single, 1)
	}
	return nil
}

type comparison struct {
	path, op string
	values   []string
}

// parseSTIXPattern extracts the indicators of a simple STIX pattern. It
// returns no indicators (and no error) for valid patterns it does not
// support, such as observations joined by AND or FOLLOWEDBY, whose
// individual parts would match far more than the pattern does.
func parseSTIXPattern(p string) ([]Indicator, error) {
	toks, err := stixTokens(p)
	if err != nil {
		return nil, err
	}
	var out []Indicator
	depth := 0
	var group []comparison // current AND-group inside brackets
	var cur []string       // tokens of the comparison being read
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		c, err := compOf(cur)
		cur = cur[:0]
		if err != nil {
			return err
		}
		group = append(group, c)
		return nil
	}
	endGroup := func() {
		out = append(out, groupIndicators(group)...)
		group = nil
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t == "[":
			if depth > 0 {
				return nil, fmt.Errorf("nested '['")
			}
			depth++
		case t == "]":
			if depth == 0 {
				return nil, fmt.Errorf("unbalanced ']'")
			}
			if err := flush(); err != nil {
				return nil, err
			}
			endGroup()
			depth--
		case depth == 0:
			switch strings.ToUpper(t) {
			case "OR", "(", ")":
			case "AND", "FOLLOWEDBY":
				return nil, nil
			default: // qualifiers WITHIN/REPEATS/START/STOP and their args
			}
		case t == "(" || t == ")":
			// after "path op" it is an IN list; otherwise grouping, which
			// precedence (AND binds tighter than OR) already covers
			if len(cur) >= 2 {
				cur = append(cur, t)
			}
		case strings.EqualFold(t, "AND"):
			if err := flush(); err != nil {
				return nil, err
			}
		case strings.EqualFold(t, "OR"):
			if err := flush(); err != nil {
				return nil, err
			}
			endGroup()
		default:
			cur = append(cur, t)
		}
		if len(toks) > 4096 {
			return nil, fmt.Errorf("pattern too long")
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced '['")
	}
	return out, nil
}

// compOf turns "path op value" or "path IN ( v , v )" tokens into a comparison.
func compOf(t []string) (comparison, error) {
	if len(t) < 3 {
		return comparison{}, fmt.Errorf("incomplete comparison %q", strings.Join(t, " "))
	}
	c := comparison{path: strings.ToLower(t[0]), op: strings.ToUpper(t[1])}
	if c.op == "NOT" && len(t) > 3 {
		return comparison{path: c.path, op: "NOT"}, nil
	}
	for _, v := range t[2:] {
		if v == "(" || v == ")" || v == "," {
			continue
		}
		c.values = append(c.values, unquote(v))
	}
	return c, nil
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		v = v[1 : len(v)-1]
		v = strings.ReplaceAll(v, `\'`, `'`)
		v = strings.ReplaceAll(v, `\\`, `\`)
	}
	return v
}

func groupIndicators(g []comparison) []Indicator {
	if len(g) == 0 {
		return nil
	}
	// network-traffic: dst_ref.value [AND dst_port] [AND dst_ref.type]
	var ip, port string
	nt := true
	for _, c := range g {
		switch {
		case c.path == "network-traffic:dst_ref.value" && c.op == "=" && len(c.values) == 1:
			ip = c.values[0]
		case c.path == "network-traffic:dst_port" && c.op == "=" && len(c.values) == 1:
			port = c.values[0]
		case c.path == "network-traffic:dst_ref.type":
		default:
			nt = false
		}
	}
	if nt && ip != "" {
		if port != "" {
			return []Indicator{{Kind: KindIPPort, Value: joinHostPort(ip, port)}}
		}
		return []Indicator{{Kind: Classify(ip), Value: ip}}
	}
	if len(g) != 1 {
		return nil
	}
	c := g[0]
	if c.op != "=" && c.op != "IN" && c.op != "ISSUBSET" {
		return nil
	}
	var kind Kind
	switch c.path {
	case "domain-name:value":
		kind = KindDomain
	case "ipv4-addr:value", "ipv6-addr:value":
		kind = KindUnknown // IP or CIDR by shape
	case "url:value":
		kind = KindURL
	case "file:hashes.md5", "file:hashes.'md5'":
		kind = KindMD5
	case "file:hashes.sha1", "file:hashes.'sha-1'", "file:hashes.'sha1'":
		kind = KindSHA1
	case "file:hashes.sha256", "file:hashes.'sha-256'", "file:hashes.'sha256'":
		kind = KindSHA256
	default:
		return nil
	}
	var out []Indicator
	for _, v := range c.values {
		k := kind
		if k == KindUnknown {
			k = Classify(v)
		}
		out = append(out, Indicator{Kind: k, Value: v})
	}
	return out
}

// stixTokens splits a pattern into brackets, parentheses, commas, quoted
// strings (kept quoted) and words; a path such as file:hashes.'SHA-256'
// stays one token.
func stixTokens(p string) ([]string, error) {
	var out []string
	i := 0
	for i < len(p) {
		c := p[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '[' || c == ']' || c == '(' || c == ')' || c == ',':
			out = append(out, p[i:i+1])
			i++
		case c == '\'':
			j := i + 1
			for j < len(p) && p[j] != '\'' {
				if p[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(p) {
				return nil, fmt.Errorf("unterminated string")
			}
			out = append(out, p[i:j+1])
			i = j + 1
		case c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(p) && p[j] == '=' {
				j++
			}
			out = append(out, p[i:j])
			i = j
		default:
			j := i
			for j < len(p) && !strings.ContainsRune(" \t\r\n[](),=!<>", rune(p[j])) {
				if p[j] == '\'' { // quoted path component
					k := strings.IndexByte(p[j+1:], '\'')
					if k < 0 {
						return nil, fmt.Errorf("unterminated string")
					}
					j += k + 2
					continue
				}
				j++
			}
			out = append(out, p[i:j])
			i = j
		}
		if len(out) > 4096 {
			return nil, fmt.Errorf("pattern too long")
		}
	}
	return out, nil
}
