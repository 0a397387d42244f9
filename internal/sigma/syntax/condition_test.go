package syntax

import (
	"strings"
	"testing"
)

func TestParseCondition(t *testing.T) {
	cases := []struct{ in, want string }{
		{"sel", "sel"},
		{"a and b or c", "(a and b) or c"},
		{"a or b and c", "a or (b and c)"},
		{"not a and b", "not a and b"},
		{"not (a and b)", "not (a and b)"},
		{"a and (b or c)", "a and (b or c)"},
		{"1 of sel*", "1 of sel*"},
		{"all of them", "all of them"},
		{"1 of them and not 1 of filter_*", "1 of them and not 1 of filter_*"},
		{"3 of x*", "3 of x*"},
		{"a AND NOT b", "a and not b"},
		{"  a\n and\tb ", "a and b"},
		{"((a))", "a"},
		{"selection-1 and sel.2", "selection-1 and sel.2"},
	}
	for _, tc := range cases {
		e, err := ParseCondition(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("%q parsed as %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseConditionErrors(t *testing.T) {
	cases := []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "found end of condition"},
		{"a and", 5, "found end of condition"},
		{"(a or b", 7, `expected ")"`},
		{"a b", 2, `expected and, or, or end of condition, found "b"`},
		{"0 of x", 0, "at least 1"},
		{"all x", 4, `expected "of"`},
		{"1 of (a)", 5, "search identifier pattern or them"},
		{"a | count() > 5", 2, "aggregation pipes"},
		{"a near b", 2, "expected and, or"},
		{")", 0, "found \")\""},
	}
	for _, tc := range cases {
		_, err := ParseCondition(tc.in)
		ce, ok := err.(*ConditionError)
		if !ok {
			t.Errorf("%q: got %v, want a *ConditionError", tc.in, err)
			continue
		}
		if ce.Offset != tc.offset || !strings.Contains(ce.Msg, tc.msg) {
			t.Errorf("%q: got offset %d %q, want offset %d and %q", tc.in, ce.Offset, ce.Msg, tc.offset, tc.msg)
		}
	}
}

// TestConditionDepthLimit: deep nesting is an error, not a stack overflow.
func TestConditionDepthLimit(t *testing.T) {
	ok := strings.Repeat("(", MaxConditionDepth) + "a" + strings.Repeat(")", MaxConditionDepth)
	if _, err := ParseCondition(ok); err != nil {
		t.Errorf("depth %d rejected: %v", MaxConditionDepth, err)
	}
	deep := strings.Repeat("(", MaxConditionDepth+1) + "a" + strings.Repeat(")", MaxConditionDepth+1)
	if _, err := ParseCondition(deep); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("depth %d: got %v, want a nesting error", MaxConditionDepth+1, err)
	}
	nots := strings.Repeat("not ", 100000) + "a"
	if _, err := ParseCondition(nots); err == nil {
		t.Errorf("100000 nots accepted")
	}
}

func TestParseFileLimitsAndErrors(t *testing.T) {
	big := make([]byte, MaxFileSize+1)
	if f := ParseFile("big.yml", big); len(f.Diags) != 1 || f.Diags[0].Code != CodeLimit {
		t.Errorf("oversized file: %v", f.Diags)
	}
	f := ParseFile("bad.yml", []byte("title: x\ndetection:\n  sel: [a\n"))
	if len(f.Diags) != 1 || f.Diags[0].Code != CodeYAML || f.Diags[0].Pos.Line == 0 || f.Rejected != 1 {
		t.Errorf("bad YAML: %v (rejected %d)", f.Diags, f.Rejected)
	}
	// Alias bombs are bounded by the node limit, not expanded.
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		b.WriteString("a" + itoa(i) + ": &a" + itoa(i) + " [*a" + itoa(i-1) + ", *a" + itoa(i-1) + ", *a" + itoa(i-1) + ", *a" + itoa(i-1) + "]\n")
	}
	b.WriteString("title: bomb\ndetection:\n  sel: {A: *a11}\n  condition: sel\n")
	f = ParseFile("bomb.yml", []byte(b.String()))
	if len(f.Diags.Errors()) == 0 {
		t.Errorf("alias bomb accepted")
	}
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func TestParseFileDocumentKinds(t *testing.T) {
	src := `title: d
id: 1
tags: [attack.t1059]
author: [a, b]
logsource: {product: Windows, category: process_creation}
detection: {s: {A: x}, condition: s}
---
title: c
correlation: {type: event_count, rules: [1], group-by: [U], timespan: 2h, condition: {gte: 2}}
---
title: f
logsource: {product: windows}
filter: {rules: [1], s: {B: y}, condition: s}
---
`
	f := ParseFile("k.yml", []byte(src))
	if len(f.Diags) != 0 || len(f.Documents) != 3 {
		t.Fatalf("diags %v, %d documents", f.Diags, len(f.Documents))
	}
	d, c, fl := f.Documents[0], f.Documents[1], f.Documents[2]
	if d.Kind != KindDetection || d.Logsource.Product != "windows" || d.Author != "a, b" || d.Tags[0] != "attack.t1059" || d.Pos.Line != 1 {
		t.Errorf("detection doc %+v", d)
	}
	if c.Kind != KindCorrelation || c.Correlation.Timespan.Hours() != 2 || c.Pos.Line != 8 || c.Correlation.Conds[0].Op != "gte" {
		t.Errorf("correlation doc %+v", c)
	}
	if fl.Kind != KindFilter || fl.Filter.Rules[0] != "1" || fl.Filter.Detection.ByName["s"] == nil {
		t.Errorf("filter doc %+v", fl)
	}
}

func TestDiagnosticRenderShowsTheLine(t *testing.T) {
	d := Diagnostic{Code: CodeRegex, Pos: Pos{File: "r.yml", Line: 2, Col: 9}, Message: "lookahead", RuleID: "x"}
	got := d.Render([]byte("a: 1\n\tsel: {A|re: 'x(?=y)'}\n"))
	want := "r.yml:2:9: error[S006]: lookahead (rule x)\n     2 | \tsel: {A|re: 'x(?=y)'}\n       | \t       ^"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
