package event

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// flattenJSON is the reference: decode the event's JSON and join nested
// names with dots ("fields" transparent at the top, raw left out — the old
// JSON-based Flatten deleted only the key "raw" and leaked "raw.*").
func flattenJSON(e *Event) map[string]any {
	b, _ := json.Marshal(e)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	out := map[string]any{}
	var walk func(prefix string, v any, top bool)
	walk = func(prefix string, v any, top bool) {
		if mm, ok := v.(map[string]any); ok {
			for k, vv := range mm {
				switch {
				case top && k == "raw":
				case top:
					walk(k, vv, false)
				case prefix == "fields":
					walk(k, vv, false)
				default:
					walk(prefix+"."+k, vv, false)
				}
			}
			return
		}
		flattenInto(out, prefix, v)
	}
	walk("", m, true)
	return out
}

// TestFlattenEqualsJSONView checks the direct Flatten against the JSON
// reference on events using every part of the schema.
func TestFlattenEqualsJSONView(t *testing.T) {
	full := New(KindAlert, "sigma", "match")
	full.Timestamp = time.Date(2026, 11, 29, 10, 0, 0, 123456789, time.UTC)
	full.Category, full.Severity, full.HostID, full.HostName = "process", 70, "h1", "ward-pc"
	full.Organization, full.Unit, full.AgentID = "Hospital", "ICU", "a1"
	full.Process = &Process{PID: 4, PPID: 1, Name: "cmd.exe", Executable: `C:\cmd.exe`, CommandLine: "cmd /c", Hash: "ab"}
	full.File = &File{Path: "/x", Name: "x", Size: 10, SHA256: "s", MD5: "m", SHA1: "h"}
	full.Source = &Endpoint{IP: "10.0.0.1", Port: 445, Bytes: 9, Packets: 2}
	full.Destination = &Endpoint{IP: "1.2.3.4", Domain: "pool.example", Port: 3333}
	full.DNS = &DNS{QuestionName: "a.example", QuestionType: "TXT", ResponseCode: "NOERROR", Answers: []string{"x", "y"}}
	full.URL = &URL{Full: "http://a/b", Domain: "a", Path: "/b"}
	full.User = &User{Name: "u", Domain: "d", ID: "S-1"}
	full.Rule = &Rule{ID: "r", Name: "n", Ruleset: "sigma", Level: "high", Author: "a", Status: "test", Description: "d", Tags: []string{"attack.t1059"}}
	full.Techniques = []string{"T1059"}
	full.Message = "m"
	full.Labels = map[string]string{"k": "v"}
	full.Fields = map[string]any{
		"EventID": 4688, "Channel": "Security", "flag": true, "none": nil, "ratio": 0.5,
		"host.ip": []string{"10.0.0.1", "fe80::1"}, "mixed": []any{"a", 1.5, true},
		"winlog": map[string]any{"event_data": map[string]any{"CommandLine": "x", "Count": 3}},
	}
	full.Raw = json.RawMessage(`{"x":1}`)
	sparse := New(KindEvent, "", "")
	sparse.Process = &Process{} // an empty object contributes nothing
	for _, ev := range []*Event{&full, &sparse} {
		got, want := ev.Flatten(), flattenJSON(ev)
		if !reflect.DeepEqual(got, want) {
			for k := range want {
				if !reflect.DeepEqual(got[k], want[k]) {
					t.Errorf("%s: got %#v, want %#v", k, got[k], want[k])
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: extra %#v", k, got[k])
				}
			}
		}
	}
}
