package event

import (
	"encoding/json"
	"strconv"
	"time"
)

// Flatten returns the event as a map of dotted ECS field names to scalar
// values, the form used for exact-match queries and Sigma field lookups. It
// equals decoding the event's JSON and joining nested names with dots:
// strings, float64 numbers, bools, []string for lists; Fields entries keep
// their own names (nested maps inside them are dotted), labels become
// labels.<name>, raw is left out. It is built directly (no JSON round trip)
// because live detection calls it for every ingested event.
func (e *Event) Flatten() map[string]any {
	out := make(map[string]any, 16+len(e.Fields)+len(e.Labels))
	out["@timestamp"] = e.Timestamp.Format(time.RFC3339Nano)
	out["event.id"] = e.ID
	out["event.kind"] = e.Kind
	str(out, "event.category", e.Category)
	str(out, "event.action", e.Action)
	num(out, "event.severity", int64(e.Severity))
	str(out, "event.dataset", e.Dataset)
	str(out, "host.id", e.HostID)
	str(out, "host.name", e.HostName)
	str(out, "organization.id", e.Organization)
	str(out, "organization.unit", e.Unit)
	str(out, "agent.id", e.AgentID)
	if p := e.Process; p != nil {
		num(out, "process.pid", int64(p.PID))
		num(out, "process.parent.pid", int64(p.PPID))
		str(out, "process.name", p.Name)
		str(out, "process.executable", p.Executable)
		str(out, "process.command_line", p.CommandLine)
		str(out, "process.hash.sha256", p.Hash)
	}
	if f := e.File; f != nil {
		str(out, "file.path", f.Path)
		str(out, "file.name", f.Name)
		num(out, "file.size", f.Size)
		str(out, "file.hash.sha256", f.SHA256)
		str(out, "file.hash.md5", f.MD5)
		str(out, "file.hash.sha1", f.SHA1)
	}
	endpoint(out, "source", e.Source)
	endpoint(out, "destination", e.Destination)
	if d := e.DNS; d != nil {
		str(out, "dns.question.name", d.QuestionName)
		str(out, "dns.question.type", d.QuestionType)
		str(out, "dns.response_code", d.ResponseCode)
		list(out, "dns.answers", d.Answers)
	}
	if u := e.URL; u != nil {
		str(out, "url.full", u.Full)
		str(out, "url.domain", u.Domain)
		str(out, "url.path", u.Path)
	}
	if u := e.User; u != nil {
		str(out, "user.name", u.Name)
		str(out, "user.domain", u.Domain)
		str(out, "user.id", u.ID)
	}
	if r := e.Rule; r != nil {
		str(out, "rule.id", r.ID)
		str(out, "rule.name", r.Name)
		str(out, "rule.ruleset", r.Ruleset)
		str(out, "rule.level", r.Level)
		str(out, "rule.author", r.Author)
		str(out, "rule.status", r.Status)
		str(out, "rule.description", r.Description)
		list(out, "rule.tags", r.Tags)
	}
	list(out, "threat.technique.id", e.Techniques)
	str(out, "message", e.Message)
	for k, v := range e.Labels {
		out["labels."+k] = v
	}
	for k, v := range e.Fields {
		flattenInto(out, k, normalize(v))
	}
	return out
}

func str(out map[string]any, k, v string) {
	if v != "" {
		out[k] = v
	}
}

func num(out map[string]any, k string, v int64) {
	if v != 0 {
		out[k] = float64(v)
	}
}

func list(out map[string]any, k string, v []string) {
	if len(v) > 0 {
		out[k] = append([]string(nil), v...)
	}
}

func endpoint(out map[string]any, prefix string, p *Endpoint) {
	if p == nil {
		return
	}
	str(out, prefix+".ip", p.IP)
	num(out, prefix+".port", int64(p.Port))
	str(out, prefix+".domain", p.Domain)
	num(out, prefix+".bytes", p.Bytes)
	num(out, prefix+".packets", p.Packets)
}

// normalize turns a Fields value into what JSON decoding would give: values
// already of JSON's types pass through; others (ints, []string, structs,
// made by collectors before the event was encoded) take the round trip.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, string, float64, bool:
		return v
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, vv := range x {
			m[k] = normalize(vv)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, vv := range x {
			l[i] = normalize(vv)
		}
		return l
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

// flattenInto stores v under name, joining nested map keys with dots and
// turning lists into []string.
func flattenInto(out map[string]any, name string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			flattenInto(out, name+"."+k, vv)
		}
	case []any:
		strs := make([]string, 0, len(x))
		for _, vv := range x {
			switch s := vv.(type) {
			case string:
				strs = append(strs, s)
			case float64:
				strs = append(strs, strconv.FormatFloat(s, 'f', -1, 64))
			default:
				b, _ := json.Marshal(s)
				strs = append(strs, string(b))
			}
		}
		out[name] = strs
	default:
		out[name] = x
	}
}

// Get returns the value of a dotted field name, or nil.
func (e *Event) Get(field string) any {
	return e.Flatten()[field]
}
