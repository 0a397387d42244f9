package ioc

import (
	"bufio"
	"bytes"
	"strings"
)

// column roles in abuse.ch-style CSV headers.
var valueColumns = map[string]Kind{
	"ioc_value": KindUnknown, "ioc": KindUnknown, "indicator": KindUnknown, "value": KindUnknown,
	"dst_ip": KindIP, "ip_address": KindIP, "ip": KindIP, "dstip": KindIP,
	"url": KindURL, "domain": KindDomain, "host": KindDomain, "hostname": KindDomain,
	"sha256_hash": KindSHA256, "sha256": KindSHA256,
	"sha1_hash": KindSHA1, "sha1": KindSHA1,
	"md5_hash": KindMD5, "md5": KindMD5,
	"ja3_md5": KindJA3, "ja3": KindJA3, "ja4": KindJA4,
}

// threatColumns in order of preference.
var threatColumns = []string{"malware_printable", "malware", "signature", "listingreason", "threat", "threat_type", "tags"}

// typeNames maps ThreatFox/ioc_type spellings to kinds.
var typeNames = map[string]Kind{
	"ip:port": KindIPPort, "ip": KindIP, "ip-dst": KindIP, "ipv4": KindIP, "ipv6": KindIP,
	"domain": KindDomain, "hostname": KindDomain, "url": KindURL,
	"md5_hash": KindMD5, "md5": KindMD5, "sha1_hash": KindSHA1, "sha1": KindSHA1,
	"sha256_hash": KindSHA256, "sha256": KindSHA256, "ja3": KindJA3, "ja3_md5": KindJA3, "ja4": KindJA4,
	"cidr": KindCIDR,
}

func isCSVHeader(line string) bool {
	f := splitCSV(line)
	if len(f) < 2 {
		return false
	}
	for _, c := range f {
		if _, ok := valueColumns[strings.ToLower(c)]; ok {
			return true
		}
	}
	return false
}

// splitCSV splits one CSV record: comma separated, fields optionally in
// double quotes with "" as an escaped quote, leading spaces trimmed.
// Feeds never use multi-line fields, which keeps line numbers exact.
func splitCSV(line string) []string {
	var out []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		var field string
		if i < len(line) && line[i] == '"' {
			var b strings.Builder
			i++
			for i < len(line) {
				if line[i] == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(line[i])
				i++
			}
			field = b.String()
			for i < len(line) && line[i] != ',' {
				i++
			}
		} else {
			j := strings.IndexByte(line[i:], ',')
			if j < 0 {
				j = len(line) - i
			}
			field = strings.TrimSpace(line[i : i+j])
			i += j
		}
		out = append(out, field)
		if i >= len(line) {
			return out
		}
		i++ // the comma
	}
}

type csvLayout struct {
	values []int // indexes of value columns
	kinds  []Kind
	typ    int // ioc_type column or -1
	port   int // dst_port column or -1
	threat int // or -1
}

func layoutOf(header []string) csvLayout {
	l := csvLayout{typ: -1, port: -1, threat: -1}
	lower := make([]string, len(header))
	for i, h := range header {
		lower[i] = strings.ToLower(strings.TrimSpace(h))
	}
	for i, h := range lower {
		if k, ok := valueColumns[h]; ok {
			l.values = append(l.values, i)
			l.kinds = append(l.kinds, k)
		}
		switch h {
		case "ioc_type", "type":
			l.typ = i
		case "dst_port", "port":
			l.port = i
		}
	}
	for _, t := range threatColumns {
		for i, h := range lower {
			if h == t && l.threat < 0 {
				l.threat = i
			}
		}
	}
	return l
}

func (s *Set) loadCSV(r *bufio.Reader, name string, st *Stats, errs *ErrorList) error {
	var lay *csvLayout
	return lines(r, name, errs, func(n int, raw []byte) {
		line := string(bytes.TrimSpace(raw))
		if line == "" {
			return
		}
		if line[0] == '#' {
			if lay == nil && isCSVHeader(strings.TrimLeft(line, "# ")) {
				l := layoutOf(splitCSV(strings.TrimLeft(line, "# ")))
				lay = &l
			}
			return
		}
		rec := splitCSV(line)
		if lay == nil {
			if isCSVHeader(line) {
				l := layoutOf(rec)
				lay = &l
				return
			}
			errs.add(name, n, "csv record before any header naming an indicator column")
			return
		}
		threat := ""
		if lay.threat >= 0 && lay.threat < len(rec) {
			threat = rec[lay.threat]
			if threat == "None" || threat == "n/a" {
				threat = ""
			}
		}
		for vi, col := range lay.values {
			if col >= len(rec) || rec[col] == "" {
				continue
			}
			v, kind := rec[col], lay.kinds[vi]
			if lay.typ >= 0 && lay.typ < len(rec) && kind == KindUnknown {
				k, ok := typeNames[strings.ToLower(rec[lay.typ])]
				if !ok {
					st.Skipped++
					continue
				}
				kind = k
			}
			if kind == KindIP && lay.port >= 0 && lay.port < len(rec) && rec[lay.port] != "" {
				kind, v = KindIPPort, joinHostPort(v, rec[lay.port])
			}
			if kind == KindDomain && Classify(v) == KindIP {
				kind = KindIP
			}
			if err := s.Add(Indicator{Kind: kind, Value: v, Threat: threat, Source: name}); err != nil {
				errs.add(name, n, "column %d: %v", col+1, err)
			}
		}
	})
}

func joinHostPort(ip, port string) string {
	if strings.IndexByte(ip, ':') >= 0 {
		return "[" + ip + "]:" + port
	}
	return ip + ":" + port
}
