package sigma

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/sigma/syntax"
)

const baseRules = `
title: failed login
id: f1
name: failed_login
logsource: {product: test}
detection: {s: {EventID: 4625}, condition: s}
---
title: successful login
id: s1
name: successful_login
logsource: {product: test}
detection: {s: {EventID: 4624}, condition: s}
---
title: connection
id: c1
name: new_connection
logsource: {product: test}
detection: {s: {EventID: 3}, condition: s}
`

func compileText(t *testing.T, src string) *RuleSet {
	t.Helper()
	rs, diags := Compile([]*syntax.File{syntax.ParseFile("corr.yml", []byte(src))}, Options{Mapping: testMapping()})
	if err := diags.Err(); err != nil {
		t.Fatalf("rules rejected: %v", err)
	}
	return rs
}

type tev struct {
	sec    int // seconds after t0
	fields MapEvent
}

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func feed(rs *RuleSet, evs []tev) []CorrelationAlert {
	c := rs.NewCorrelator()
	var out []CorrelationAlert
	for _, e := range evs {
		out = append(out, c.Observe(e.fields, t0.Add(time.Duration(e.sec)*time.Second), rs.Match(e.fields), e.sec)...)
	}
	return append(out, c.Flush()...)
}

func render(as []CorrelationAlert) string {
	var parts []string
	for _, a := range as {
		parts = append(parts, fmt.Sprintf("%s[%s]=%v(%d..%d)", a.Rule.ID, a.GroupString(), a.Value,
			int(a.First.Sub(t0).Seconds()), int(a.Last.Sub(t0).Seconds())))
	}
	return strings.Join(parts, " ")
}

func failed(sec int, user, ip string) tev {
	return tev{sec, MapEvent{"EventID": "4625", "User": user, "IpAddress": ip}}
}

func TestCorrelationTypes(t *testing.T) {
	cases := []struct {
		name, rule string
		events     []tev
		want       string
	}{
		{
			name: "event_count burst gives one alert with the full count",
			rule: "type: event_count\n  rules: [failed_login]\n  group-by: [User]\n  timespan: 60s\n  condition: {gte: 3}",
			events: []tev{failed(0, "bob", "a"), failed(10, "bob", "a"), failed(20, "bob", "a"), failed(30, "bob", "a"),
				failed(40, "eve", "a"), failed(200, "bob", "a")},
			want: "cx[User=bob]=4(0..30)",
		},
		{
			name:   "event_count outside the timespan does not fire",
			rule:   "type: event_count\n  rules: [failed_login]\n  group-by: [User]\n  timespan: 15s\n  condition: {gte: 3}",
			events: []tev{failed(0, "bob", "a"), failed(10, "bob", "a"), failed(30, "bob", "a"), failed(45, "bob", "a")},
			want:   "",
		},
		{
			name: "event_count range condition judged per window",
			rule: "type: event_count\n  rules: [failed_login]\n  group-by: [User]\n  timespan: 60s\n  condition: {gt: 1, lte: 2}",
			events: []tev{failed(0, "bob", "a"), failed(10, "bob", "a"), failed(100, "bob", "a"), failed(101, "bob", "a"),
				failed(102, "bob", "a")},
			want: "cx[User=bob]=2(0..10)",
		},
		{
			name: "value_count counts distinct values",
			rule: "type: value_count\n  rules: [failed_login]\n  group-by: [IpAddress]\n  timespan: 5m\n  condition: {field: User, gte: 3}",
			events: []tev{failed(0, "a", "10.0.0.1"), failed(1, "a", "10.0.0.1"), failed(2, "b", "10.0.0.1"),
				failed(3, "c", "10.0.0.1"), failed(4, "d", "10.0.0.1"), failed(5, "a", "10.0.0.2")},
			want: "cx[IpAddress=10.0.0.1]=4(0..4)",
		},
		{
			name: "temporal needs every rule in the timespan",
			rule: "type: temporal\n  rules: [failed_login, successful_login]\n  group-by: [User]\n  timespan: 10s",
			events: []tev{failed(0, "bob", "a"), {5, MapEvent{"EventID": "4624", "User": "bob"}},
				{6, MapEvent{"EventID": "4624", "User": "eve"}}, failed(30, "eve", "a")},
			want: "cx[User=bob]=2(0..5)",
		},
		{
			name: "temporal_ordered needs the order",
			rule: "type: temporal_ordered\n  rules: [failed_login, successful_login]\n  group-by: [User]\n  timespan: 10s",
			events: []tev{{0, MapEvent{"EventID": "4624", "User": "bob"}}, failed(1, "bob", "a"),
				failed(20, "eve", "a"), {25, MapEvent{"EventID": "4624", "User": "eve"}}},
			want: "cx[User=eve]=2(20..25)",
		},
		{
			name: "value_sum",
			rule: "type: value_sum\n  rules: [new_connection]\n  group-by: [Src]\n  timespan: 1h\n  condition: {field: Bytes, gt: 1000}",
			events: []tev{{0, MapEvent{"EventID": "3", "Src": "h1", "Bytes": "600"}}, {10, MapEvent{"EventID": "3", "Src": "h1", "Bytes": "500"}},
				{20, MapEvent{"EventID": "3", "Src": "h2", "Bytes": "900"}}},
			want: "cx[Src=h1]=1100(0..10)",
		},
		{
			name: "value_avg",
			rule: "type: value_avg\n  rules: [new_connection]\n  group-by: [Src]\n  timespan: 1h\n  condition: {field: Bytes, gte: 500}",
			events: []tev{{0, MapEvent{"EventID": "3", "Src": "h1", "Bytes": "600"}}, {10, MapEvent{"EventID": "3", "Src": "h1", "Bytes": "500"}},
				{20, MapEvent{"EventID": "3", "Src": "h2", "Bytes": "100"}}},
			want: "cx[Src=h1]=550(0..10)",
		},
		{
			name: "value_percentile finds rare values",
			rule: "type: value_percentile\n  rules: [new_connection]\n  group-by: [Host]\n  timespan: 1d\n  condition: {field: Image, lte: 10}",
			events: func() []tev {
				var evs []tev
				for i := 0; i < 19; i++ {
					evs = append(evs, tev{i, MapEvent{"EventID": "3", "Host": "h", "Image": "svchost.exe"}})
				}
				return append(evs, tev{30, MapEvent{"EventID": "3", "Host": "h", "Image": "evil.exe"}})
			}(),
			want: "cx[Host=h, Image=evil.exe]=5(0..30)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := compileText(t, baseRules+"---\ntitle: corr\nid: cx\nlevel: high\ncorrelation:\n  "+tc.rule+"\n")
			if got := render(feed(rs, tc.events)); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestCorrelationChainWithAliases is the specification's example: many
// failed logins (an event_count correlation) followed by a successful one,
// chained in a temporal_ordered correlation, plus field aliases.
func TestCorrelationChainWithAliases(t *testing.T) {
	src := baseRules + `---
title: many failed
id: mf
name: many_failed
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 10m
  condition: {gte: 3}
---
title: brute force then success
id: bf
level: high
correlation:
  type: temporal_ordered
  rules: [many_failed, successful_login]
  group-by: [User]
  timespan: 10m
---
title: same address both ways
id: al
level: medium
correlation:
  type: temporal
  rules: [failed_login, new_connection]
  group-by: [ip]
  timespan: 1m
  aliases:
    ip:
      failed_login: IpAddress
      new_connection: DestinationIp
`
	rs := compileText(t, src)
	for _, id := range []string{"f1", "s1", "c1", "mf"} {
		if !rs.Rule(id).CorrelationOnly {
			t.Errorf("rule %s should feed correlations only", id)
		}
	}
	got := render(feed(rs, []tev{
		failed(0, "bob", "10.0.0.9"), failed(10, "bob", "10.0.0.9"), failed(20, "bob", "10.0.0.9"),
		{30, MapEvent{"EventID": "3", "DestinationIp": "10.0.0.9"}},
		{40, MapEvent{"EventID": "4624", "User": "bob"}},
		{50, MapEvent{"EventID": "4624", "User": "eve"}},
	}))
	want := "al[ip=10.0.0.9]=2(20..30) bf[User=bob]=2(20..40)"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestCorrelationRejections(t *testing.T) {
	cases := []struct{ name, corr, msg string }{
		{"unknown rule", "type: event_count\n  rules: [nope]\n  group-by: [User]\n  timespan: 5m\n  condition: {gte: 1}", `rule "nope", which is not loaded`},
		{"unknown type", "type: event_sum\n  rules: [failed_login]\n  timespan: 5m\n  condition: {gte: 1}", `unknown correlation type "event_sum"`},
		{"bad timespan", "type: event_count\n  rules: [failed_login]\n  timespan: 5 minutes\n  condition: {gte: 1}", "timespan"},
		{"no condition", "type: event_count\n  rules: [failed_login]\n  timespan: 5m", "needs a condition"},
		{"value_count without field", "type: value_count\n  rules: [failed_login]\n  timespan: 5m\n  condition: {gte: 1}", "needs condition.field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := baseRules + "---\ntitle: corr\nid: cx\ncorrelation:\n  " + tc.corr + "\n"
			rs, diags := Compile([]*syntax.File{syntax.ParseFile("corr.yml", []byte(src))}, Options{Mapping: testMapping()})
			errs := diags.Errors()
			if len(errs) != 1 || !strings.Contains(errs[0].Message, tc.msg) || rs.Stats.Rejected != 1 || rs.Stats.Loaded != 3 {
				t.Errorf("diags %v stats %+v, want one rejection mentioning %q", diags, rs.Stats, tc.msg)
			}
		})
	}
	// A reference cycle between two correlations.
	src := baseRules + "---\ntitle: a\nid: ca\nname: ca\ncorrelation: {type: temporal, rules: [cb, failed_login], group-by: [User], timespan: 1m}\n" +
		"---\ntitle: b\nid: cb\nname: cb\ncorrelation: {type: temporal, rules: [ca, failed_login], group-by: [User], timespan: 1m}\n"
	rs, diags := Compile([]*syntax.File{syntax.ParseFile("cycle.yml", []byte(src))}, Options{Mapping: testMapping()})
	if rs.Stats.Correlation != 0 || !strings.Contains(diags.Err().Error(), "cycle") {
		t.Errorf("cycle not rejected: %v", diags)
	}
}

// TestMetaFilter applies a filter document to the rule it names.
func TestMetaFilter(t *testing.T) {
	src := `title: rar use
id: r1
logsource: {product: test}
detection: {s: {Image|endswith: '\rar.exe'}, condition: s}
---
title: admins may compress
logsource: {product: test}
filter:
  rules: [r1]
  selection:
    User|startswith: adm_
  condition: selection
`
	rs := compileText(t, src)
	if rs.Stats.Filters != 1 {
		t.Fatalf("stats %+v", rs.Stats)
	}
	if ms := rs.Match(MapEvent{"Image": `C:\rar.exe`, "User": "adm_joe"}); len(ms) != 0 {
		t.Errorf("filtered event matched: %v", ms)
	}
	if ms := rs.Match(MapEvent{"Image": `C:\rar.exe`, "User": "joe"}); len(ms) != 1 {
		t.Errorf("unfiltered event did not match")
	}
}

// TestCorrelationGroupsByMappedField: group-by names a Sigma field that
// the Security 4688 variant calls differently (Image is NewProcessName).
func TestCorrelationGroupsByMappedField(t *testing.T) {
	m, err := DefaultMapping()
	if err != nil {
		t.Fatal(err)
	}
	src := `title: proc
id: p1
name: proc
logsource: {product: windows, category: process_creation}
detection: {s: {CommandLine|contains: whoami}, condition: s}
---
title: many whoami
id: w1
correlation: {type: event_count, rules: [proc], group-by: [Image], timespan: 1m, condition: {gte: 2}}
`
	rs, diags := Compile([]*syntax.File{syntax.ParseFile("m.yml", []byte(src))}, Options{Mapping: m})
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	ev := func(sec int) tev {
		return tev{sec, MapEvent{"Channel": "Security", "EventID": "4688", "Provider_Name": "Microsoft-Windows-Security-Auditing",
			"NewProcessName": `C:\Windows\System32\whoami.exe`, "CommandLine": "whoami /all"}}
	}
	got := render(feed(rs, []tev{ev(0), ev(5)}))
	if want := `w1[Image=C:\Windows\System32\whoami.exe]=2(0..5)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestLiveConcurrentProcessAndReload: Process from several goroutines while
// the rule set is reloaded; every event is matched and the correlation
// counts all of them.
func TestLiveConcurrentProcessAndReload(t *testing.T) {
	src := baseRules + "---\ntitle: many\nid: mx\nlevel: high\ncorrelation: {type: event_count, rules: [failed_login], group-by: [User], timespan: 1h, condition: {gte: 2}}\n"
	rs := compileText(t, src)
	l := NewLive(rs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	standalone := 0
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				ms, _ := l.Process(MapEvent{"EventID": "4624", "User": "bob"}, t0.Add(time.Duration(i)*time.Second), nil)
				mu.Lock()
				standalone += len(ms)
				mu.Unlock()
				// failed logins feed the correlation only
				if ms, _ := l.Process(MapEvent{"EventID": "4625", "User": "bob"}, t0.Add(time.Duration(i)*time.Second), nil); len(ms) != 0 {
					t.Errorf("a correlation-only rule raised %v", ms)
				}
			}
		}()
	}
	wg.Wait()
	if standalone != 400 {
		t.Errorf("%d successful-login matches, want 400", standalone)
	}
	fired := l.Reload(compileText(t, src))
	if len(fired) != 1 || fired[0].Value != 400 {
		t.Errorf("reload flushed %s, want one alert counting 400 failed logins", render(fired))
	}
	if l.Flush() != nil {
		t.Errorf("new rule set has open windows")
	}
}
