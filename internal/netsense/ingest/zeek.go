package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/event"
)

// zeekHeader is the state of a TSV log's header lines.
type zeekHeader struct {
	sep, setSep, empty, unset string
	path                      string
	fields                    []string
}

// ReadZeek reads one Zeek log, TSV with '#' headers or JSON lines, and
// calls emit for each record. name is used for errors and, when the log
// does not say, its path ("dns.log" → dns).
func ReadZeek(r io.Reader, name string, emit func(event.Event)) (Stats, error) {
	var st Stats
	h := zeekHeader{sep: "\t", setSep: ",", empty: "(empty)", unset: "-", path: pathFromName(name)}
	err := eachLine(r, name, &st, func(n int, line []byte) {
		switch {
		case line[0] == '#':
			h.header(string(line))
		case line[0] == '{':
			rec, err := jsonRecord(line)
			if err != nil {
				st.fail(name, n, "not JSON: %v", err)
				return
			}
			path := h.path
			if p := rec["_path"]; p != "" {
				path = p
			}
			ev, err := zeekEvent(path, rec, line)
			st.add(ev, err, name, n, emit)
		default:
			if len(h.fields) == 0 {
				st.fail(name, n, "record before a #fields header")
				return
			}
			vals := strings.Split(string(line), h.sep)
			if len(vals) != len(h.fields) {
				st.fail(name, n, "%d values for %d fields", len(vals), len(h.fields))
				return
			}
			rec := make(map[string]string, len(vals))
			for i, v := range vals {
				if v == h.unset || v == h.empty {
					continue
				}
				if h.setSep != "," {
					v = strings.ReplaceAll(v, h.setSep, ",")
				}
				rec[h.fields[i]] = v
			}
			ev, err := zeekEvent(h.path, rec, line)
			st.add(ev, err, name, n, emit)
		}
	})
	return st, err
}

func (st *Stats) add(ev event.Event, err error, name string, n int, emit func(event.Event)) {
	if err != nil {
		st.fail(name, n, "%v", err)
		return
	}
	st.Events++
	if ev.Kind == event.KindAlert {
		st.Alerts++
	}
	emit(ev)
}

func (h *zeekHeader) header(line string) {
	key, val, _ := strings.Cut(line[1:], "\t")
	if strings.HasPrefix(line, "#separator ") {
		key, val = "separator", strings.TrimPrefix(line, "#separator ")
	}
	switch key {
	case "separator":
		h.sep = unescape(val)
	case "set_separator":
		h.setSep = unescape(val)
	case "empty_field":
		h.empty = val
	case "unset_field":
		h.unset = val
	case "path":
		h.path = val
	case "fields":
		if len(strings.Split(val, h.sep)) <= 512 {
			h.fields = strings.Split(val, h.sep)
		}
	}
}

// unescape decodes \xHH escapes of Zeek's #separator header.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	if b.Len() == 0 {
		return "\t"
	}
	return b.String()
}

func pathFromName(name string) string {
	base := filepath.Base(name)
	if i := strings.IndexByte(base, '.'); i > 0 {
		return base[:i]
	}
	return base
}

// jsonRecord flattens a Zeek JSON line into strings (arrays joined by ",").
func jsonRecord(line []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		case bool:
			out[k] = map[bool]string{true: "T", false: "F"}[x]
		case []any:
			var parts []string
			for _, e := range x {
				parts = append(parts, fmt.Sprint(e))
			}
			out[k] = strings.Join(parts, ",")
		case nil:
		default:
			b, _ := json.Marshal(x)
			out[k] = string(b)
		}
	}
	return out, nil
}

func zeekTime(s string) (time.Time, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && f > 0 && f < 1e11 {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC(), nil // Zeek logs microseconds
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("ts %q not understood", clip(s))
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// zeekEvent maps one record of log path to an event.
func zeekEvent(path string, rec map[string]string, line []byte) (event.Event, error) {
	ts, err := zeekTime(rec["ts"])
	if err != nil {
		return event.Event{}, err
	}
	ev := event.New(event.KindEvent, "zeek."+path, path)
	ev.Timestamp = ts
	ev.Category = "network"
	if h := rec["id.orig_h"]; h != "" {
		ev.Source = &event.Endpoint{IP: h, Port: atoi(rec["id.orig_p"])}
	}
	if h := rec["id.resp_h"]; h != "" {
		ev.Destination = &event.Endpoint{IP: h, Port: atoi(rec["id.resp_p"])}
	}
	ev.Labels = map[string]string{}
	if v := rec["uid"]; v != "" {
		ev.Labels["zeek.uid"] = v
	}
	if v := rec["proto"]; v != "" {
		ev.Labels["network.transport"] = v
	}
	ev.Fields = map[string]any{}
	keys := make([]string, 0, len(rec))
	for k := range rec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(ev.Fields) >= 256 {
			break
		}
		v := rec[k]
		if len(v) > 4096 {
			v = v[:4096]
		}
		ev.Fields["zeek."+path+"."+k] = v
	}
	if len(line) <= event.MaxRawLen {
		ev.Raw, _ = json.Marshal(string(line))
	}
	switch path {
	case "conn":
		if ev.Source != nil && ev.Destination != nil {
			ev.Source.Bytes, ev.Source.Packets = atoi64(rec["orig_bytes"]), atoi64(rec["orig_pkts"])
			ev.Destination.Bytes, ev.Destination.Packets = atoi64(rec["resp_bytes"]), atoi64(rec["resp_pkts"])
		}
	case "dns":
		ev.DNS = &event.DNS{QuestionName: rec["query"], QuestionType: rec["qtype_name"], ResponseCode: rec["rcode_name"]}
		if a := rec["answers"]; a != "" {
			ev.DNS.Answers = strings.Split(a, ",")
		}
	case "http":
		ev.URL = &event.URL{Full: "http://" + rec["host"] + rec["uri"], Domain: rec["host"], Path: pathOf(rec["uri"])}
	case "ssl":
		if ev.Destination != nil {
			ev.Destination.Domain = rec["server_name"]
		}
	case "files":
		if rec["md5"]+rec["sha1"]+rec["sha256"] != "" {
			ev.File = &event.File{Name: rec["filename"], MD5: rec["md5"], SHA1: rec["sha1"], SHA256: rec["sha256"], Size: atoi64(rec["total_bytes"])}
		}
	case "notice":
		ev.Kind = event.KindAlert
		ev.Severity = event.SeverityMedium
		ev.Rule = &event.Rule{ID: "zeek:" + rec["note"], Name: rec["msg"], Ruleset: "zeek", Level: "medium"}
		ev.Message = rec["msg"]
	case "weird":
		ev.Message = "zeek weird: " + rec["name"]
	}
	return ev, nil
}

// ReadZeekDir reads every *.log and *.json file of a Zeek log directory in
// name order.
func ReadZeekDir(dir string, emit func(event.Event)) (Stats, error) {
	var total Stats
	var files []string
	for _, pat := range []string{"*.log", "*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return total, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return total, fmt.Errorf("no *.log or *.json files in %s", dir)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return total, err
		}
		st, err := ReadZeek(fh, f, emit)
		fh.Close()
		total.Lines += st.Lines
		total.Events += st.Events
		total.Alerts += st.Alerts
		total.Skipped += st.Skipped
		for _, e := range st.Errors {
			if len(total.Errors) < maxErrors {
				total.Errors = append(total.Errors, e)
			}
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
