package ioc

import (
	"bufio"
	"bytes"
	"strings"
)

// loadList reads one indicator per line: plain lists, Maltrail static
// trails (the latest comment line names the threat of the lines below it),
// Maltrail trails.csv ("trail,info,reference") and hosts files
// ("0.0.0.0 evil.example"). Values may carry a "ja3:" or "ja4:" prefix.
func (s *Set) loadList(r *bufio.Reader, name string, st *Stats, errs *ErrorList) error {
	threat := ""
	return lines(r, name, errs, func(n int, raw []byte) {
		line := bytes.TrimSpace(raw)
		if len(line) == 0 {
			return
		}
		if line[0] == '#' || line[0] == ';' || bytes.HasPrefix(line, []byte("//")) {
			c := strings.TrimSpace(strings.TrimLeft(string(line), "#;/"))
			c = strings.TrimSpace(strings.TrimPrefix(c, "Reference:"))
			if len(c) > 120 {
				c = c[:120]
			}
			threat = c
			return
		}
		if i := bytes.Index(line, []byte(" #")); i >= 0 {
			line = bytes.TrimSpace(line[:i])
		}
		value, info := string(line), threat
		if i := strings.IndexByte(value, ','); i >= 0 {
			value, info = strings.TrimSpace(value[:i]), strings.TrimSpace(value[i+1:])
			if j := strings.IndexByte(info, ','); j >= 0 {
				info = info[:j]
			}
		} else if f := strings.Fields(value); len(f) > 1 {
			if len(f) != 2 || f[0] != "0.0.0.0" && f[0] != "127.0.0.1" && f[0] != "::" {
				errs.add(name, n, "unexpected space in indicator %q", clip(value))
				return
			}
			value = f[1]
		}
		kind := KindUnknown
		switch {
		case strings.HasPrefix(strings.ToLower(value), "ja3:"):
			kind, value = KindJA3, value[4:]
		case strings.HasPrefix(strings.ToLower(value), "ja4:"):
			kind, value = KindJA4, value[4:]
		}
		if err := s.Add(Indicator{Kind: kind, Value: value, Threat: info, Source: name}); err != nil {
			errs.add(name, n, "%v", err)
		}
	})
}
