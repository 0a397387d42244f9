package sqldb

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/medshield/medshield/internal/event"
)

func TestFieldPaths(t *testing.T) {
	tests := []struct {
		name string
		want [][]string
	}{
		{"event.id", [][]string{{"event.id"}}},
		{"@timestamp", [][]string{{"@timestamp"}}},
		{"threat.technique.id", [][]string{{"threat.technique.id"}}},
		{"process.pid", [][]string{{"process", "pid"}}},
		{"process.parent.pid", [][]string{{"process", "parent.pid"}}},
		{"dns.question.name", [][]string{{"dns", "question.name"}}},
		{"labels.env", [][]string{{"labels", "env"}}},
		{"labels.a.b", [][]string{{"labels", "a.b"}}},
		{"winlog.event_data.User", [][]string{{"fields", "winlog.event_data.User"}, {"fields", "winlog", "event_data", "User"}}},
		{"flag", [][]string{{"fields", "flag"}}},
		{"process", [][]string{{"fields", "process"}}},
		{"", nil},
	}
	for _, tc := range tests {
		if got := FieldPaths(tc.name); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("FieldPaths(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestFieldPathsCoverFlatten checks that every name event.Flatten produces
// for a fully populated event resolves to a path that exists in the JSON.
func TestFieldPathsCoverFlatten(t *testing.T) {
	e := event.Event{
		Timestamp: time.Now(), ID: event.NewID(), Kind: "event", Category: "c", Action: "a", Severity: 5, Dataset: "d",
		HostID: "h", HostName: "n", Organization: "o", Unit: "u", AgentID: "ag",
		Process:     &event.Process{PID: 1, PPID: 2, Name: "n", Executable: "e", CommandLine: "c", Hash: "h"},
		File:        &event.File{Path: "p", Name: "n", Size: 1, SHA256: "s", MD5: "m", SHA1: "s1"},
		Source:      &event.Endpoint{IP: "1", Port: 1, Domain: "d", Bytes: 1, Packets: 1},
		Destination: &event.Endpoint{IP: "2", Port: 2, Domain: "d", Bytes: 2, Packets: 2},
		DNS:         &event.DNS{QuestionName: "q", QuestionType: "A", ResponseCode: "NOERROR", Answers: []string{"1.2.3.4"}},
		URL:         &event.URL{Full: "f", Domain: "d", Path: "p"},
		User:        &event.User{Name: "n", Domain: "d", ID: "i"},
		Rule:        &event.Rule{ID: "i", Name: "n", Ruleset: "r", Level: "l", Author: "a", Status: "s", Description: "d", Tags: []string{"t"}},
		Techniques:  []string{"T1"}, Message: "m", Labels: map[string]string{"k.x": "v"},
		Fields: map[string]any{"a.b": "c", "n": map[string]any{"d": "e"}},
	}
	doc, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	json.Unmarshal(doc, &root)
	for name := range e.Flatten() {
		found := false
		for _, p := range FieldPaths(name) {
			var v any = root
			for _, seg := range p {
				m, ok := v.(map[string]any)
				if !ok {
					v = nil
					break
				}
				v = m[seg]
			}
			if v != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("flattened field %q has no path in the stored JSON (paths %q)", name, FieldPaths(name))
		}
	}
}

func TestNSClampsAndRoundTrips(t *testing.T) {
	now := time.Date(2026, 5, 1, 1, 2, 3, 456789012, time.UTC)
	tests := []struct {
		in   time.Time
		want int64
	}{
		{time.Time{}, 0},
		{now, now.UnixNano()},
		{time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), math.MinInt64 + 1},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
	}
	for _, tc := range tests {
		if got := NS(tc.in); got != tc.want {
			t.Errorf("NS(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
	if got := Time(NS(now.In(time.FixedZone("CST", 8*3600)))); !got.Equal(now) || got.Location() != time.UTC {
		t.Errorf("round trip = %v", got)
	}
	if !Time(0).IsZero() {
		t.Error("Time(0) is not the zero time")
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain", "中文": "中文", "a\x00b": "a\uFFFDb", "bad\xffutf8": "bad\uFFFDutf8", "": "",
	} {
		got := Text(in)
		if got != want || !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDocNeedleIsInTheDocument(t *testing.T) {
	for _, v := range []string{"plain", `C:\Windows\cmd.exe`, `say "hi"`, "<script>&", "中文", "tab\there", "102", "true",
		"nul\x00byte", "bad\xff\xfeutf8", "real \uFFFD replacement", "\x00"} {
		e := event.Event{Message: v, Fields: map[string]any{"x": v}}
		doc, _ := json.Marshal(e)
		doc = cleanDoc(doc)
		var back event.Event
		json.Unmarshal(doc, &back) // what a query for the stored value would send
		if n := docNeedle(back.Message); !strings.Contains(string(doc), n) {
			t.Errorf("needle %q of %q not in %s", n, back.Message, doc)
		}
	}
}

func TestCursor(t *testing.T) {
	for _, c := range []struct{ ts, seq int64 }{{0, 0}, {1, 2}, {-5, 7}, {math.MaxInt64, math.MaxInt64}, {math.MinInt64 + 1, 1}} {
		ts, seq, err := decodeCursor(encodeCursor(c.ts, c.seq))
		if err != nil || ts != c.ts || seq != c.seq {
			t.Errorf("cursor round trip (%d, %d) = (%d, %d, %v)", c.ts, c.seq, ts, seq, err)
		}
	}
	for _, bad := range []string{"", "x", "AAAA", encodeCursor(1, 2) + "A", "B" + encodeCursor(1, 2)[1:]} {
		if _, _, err := decodeCursor(bad); !errors.Is(err, ErrBadCursor) {
			t.Errorf("decodeCursor(%q) err = %v", bad, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(123, 456))
	f.Add("")
	f.Add("AQAAAAAAAAB7AAAAAAAAAcg")
	f.Fuzz(func(t *testing.T, s string) {
		ts, seq, err := decodeCursor(s)
		if err != nil {
			return
		}
		if encodeCursor(ts, seq) != s {
			t.Fatalf("accepted cursor %q re-encodes as %q", s, encodeCursor(ts, seq))
		}
	})
}

func TestCleanDoc(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"m":"plain"}`, `{"m":"plain"}`},
		{`{"m":"a\u0000b"}`, `{"m":"a\ufffdb"}`},
		{`{"m":"\\u0000"}`, `{"m":"\\u0000"}`}, // an escaped backslash, then text
		{`{"m":"\\\u0000"}`, `{"m":"\\\ufffd"}`},
		{`{"m":"\u003c\u2028"}`, `{"m":"\u003c\u2028"}`},
		{`{"r":"\ud83d\ude00"}`, `{"r":"\ud83d\ude00"}`}, // a valid pair
		{`{"r":"\ud800"}`, `{"r":"\ufffd"}`},
		{`{"r":"\ud800\u0041"}`, `{"r":"\ufffd\u0041"}`},
		{`{"r":"\udc00x"}`, `{"r":"\ufffdx"}`},
		{`{"r":"\uD800\uDC00"}`, `{"r":"\uD800\uDC00"}`},
		{`{"r":"\u00"}`, `{"r":"\u00"}`}, // not valid JSON; left alone
	}
	for _, tc := range tests {
		if got := string(cleanDoc([]byte(tc.in))); got != tc.want {
			t.Errorf("cleanDoc(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func FuzzCleanDoc(f *testing.F) {
	f.Add(`a\u0000b`)
	f.Add(`\ud800`)
	f.Add(`\\u0000\ud83d\ude00\udc00`)
	f.Fuzz(func(t *testing.T, s string) {
		raw := []byte(`{"x":"` + s + `"}`)
		if !json.Valid(raw) {
			return
		}
		b, err := json.Marshal(event.Event{Message: s, Raw: raw})
		if err != nil {
			return
		}
		out := cleanDoc(b)
		var e event.Event
		if err := json.Unmarshal(out, &e); err != nil {
			t.Fatalf("cleaned document no longer decodes: %v\n%s", err, out)
		}
		if bad := badEscape(out); bad != "" {
			t.Fatalf("%s left in %s", bad, out)
		}
	})
}

// badEscape finds an escape PostgreSQL cannot convert to text.
func badEscape(b []byte) string {
	for i := 0; i+1 < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if b[i+1] != 'u' {
			i++
			continue
		}
		r, ok := hex4(b, i+2)
		if !ok {
			continue
		}
		switch {
		case r == 0:
			return string(b[i : i+6])
		case r >= 0xDC00 && r <= 0xDFFF:
			return string(b[i : i+6])
		case r >= 0xD800 && r <= 0xDBFF:
			lo, ok := rune(0), false
			if i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
				lo, ok = hex4(b, i+8)
			}
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return string(b[i : i+6])
			}
			i += 11
			continue
		}
		i += 5
	}
	return ""
}
