package sigma

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// FlattenWindows turns a Windows event in the JSON layouts of EVTX tools
// into the Sigma view: System fields joined with "_" (Provider_Name,
// TimeCreated_SystemTime, Execution_ProcessID), EventData and UserData
// values by name, unnamed Data as a list under "Data". It accepts
// {"Event": {...}} (rust evtx, evtx_dump), {"System": ..., "EventData": ...}
// (medshield evtx dump) and returns nil for anything else.
func FlattenWindows(doc map[string]any) map[string]any {
	if ev, ok := doc["Event"].(map[string]any); ok {
		doc = ev
	}
	sys, ok := doc["System"].(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]any, 48)
	for k, v := range sys {
		flattenSystem(out, k, v)
	}
	if ed, ok := doc["EventData"]; ok {
		flattenData(out, ed)
	}
	if ud, ok := doc["UserData"].(map[string]any); ok {
		for _, v := range ud {
			flattenLeaves(out, v, 0)
		}
	}
	return out
}

func flattenSystem(out map[string]any, k string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		out[k] = v
		return
	}
	if attrs, ok := m["#attributes"].(map[string]any); ok {
		for a, av := range attrs {
			out[k+"_"+a] = av
		}
	}
	if t, ok := m["#text"]; ok {
		out[k] = t
	}
	for a, av := range m {
		if a != "#attributes" && a != "#text" {
			out[k+"_"+a] = av
		}
	}
}

func flattenData(out map[string]any, ed any) {
	m, ok := ed.(map[string]any)
	if !ok {
		if ed != nil {
			out["Data"] = ed
		}
		return
	}
	for k, v := range m {
		if k == "#attributes" {
			continue
		}
		if k == "Data" || k == "#text" {
			// Unnamed <Data> elements: a list (or one value).
			if dm, ok := v.(map[string]any); ok {
				if t, ok := dm["#text"]; ok {
					out["Data"] = t
					continue
				}
			}
			out["Data"] = v
			continue
		}
		out[k] = v
		if strings.Contains(k, " ") {
			// Sigma names fields "as they appear in the log source" with
			// spaces stripped: "Threat Name" is ThreatName.
			if s := strings.ReplaceAll(k, " ", ""); out[s] == nil {
				out[s] = v
			}
		}
	}
}

// flattenLeaves exposes every leaf of a UserData element by its own name,
// keeping the first occurrence.
func flattenLeaves(out map[string]any, v any, depth int) {
	m, ok := v.(map[string]any)
	if !ok || depth > 16 {
		return
	}
	for k, x := range m {
		if k == "#attributes" {
			if attrs, ok := x.(map[string]any); ok {
				for a, av := range attrs {
					if _, dup := out[a]; !dup && a != "xmlns" {
						out[a] = av
					}
				}
			}
			continue
		}
		if sub, ok := x.(map[string]any); ok {
			flattenLeaves(out, sub, depth+1)
			continue
		}
		if _, dup := out[k]; !dup {
			out[k] = x
		}
	}
}

// FlattenNested turns nested JSON objects into dotted names
// ({"process": {"name": "x"}} -> "process.name"), the view rules written
// for ECS-style logs use.
func FlattenNested(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	flattenNested(out, "", doc, 0)
	return out
}

func flattenNested(out map[string]any, prefix string, v any, depth int) {
	m, ok := v.(map[string]any)
	if !ok || depth > 32 {
		out[prefix] = v
		return
	}
	for k, x := range m {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		if _, isMap := x.(map[string]any); isMap {
			flattenNested(out, name, x, depth+1)
			continue
		}
		out[name] = x
	}
}

// JSONEvent turns one decoded JSON object into an Event: Windows layouts
// through FlattenWindows; anything else through FlattenNested, with the
// ECS fallbacks of ECSEvent so that Windows rules also see events exported
// by medshield (winlog.channel as Channel, process.command_line as
// CommandLine...).
func JSONEvent(doc map[string]any) Event {
	if w := FlattenWindows(doc); w != nil {
		return MapEvent(w)
	}
	return ECSEvent{flat: FlattenNested(doc)}
}

// MaxJSONEvent bounds one JSON event's size: a larger object is an error,
// so a hostile or broken file cannot make the decoder buffer without bound.
const MaxJSONEvent = 16 << 20

// DecodeJSON reads a stream of JSON objects (one per line, or concatenated
// and pretty-printed as in the SigmaHQ regression samples) and calls fn for
// each. Numbers keep their text.
func DecodeJSON(r io.Reader, fn func(Event) error) error {
	br := &boundedReader{r: r}
	dec := json.NewDecoder(br)
	br.done = dec.InputOffset
	dec.UseNumber()
	for n := 0; ; n++ {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("json event %d: %w", n+1, err)
		}
		if err := fn(JSONEvent(doc)); err != nil {
			return err
		}
	}
}

// boundedReader fails once more than MaxJSONEvent bytes were read past the
// end of the last decoded value.
type boundedReader struct {
	r    io.Reader
	n    int64
	done func() int64
}

var errEventTooLarge = fmt.Errorf("event larger than %d bytes", MaxJSONEvent)

func (b *boundedReader) Read(p []byte) (int, error) {
	room := MaxJSONEvent - (b.n - b.done())
	if room <= 0 {
		return 0, errEventTooLarge
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

// WindowsFields wraps the flat string map of an EVTX record (the form
// evtx.Record.Fields returns) as an Event, adding the space-stripped names
// Sigma uses for fields such as "Threat Name".
func WindowsFields(m map[string]string) StringsEvent {
	var extra map[string]string
	for k, v := range m {
		if strings.Contains(k, " ") {
			if extra == nil {
				extra = map[string]string{}
			}
			extra[strings.ReplaceAll(k, " ", "")] = v
		}
	}
	for k, v := range extra {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return StringsEvent(m)
}
