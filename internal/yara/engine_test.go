package yara

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func compileT(t testing.TB, src string, opts Options) *Rules {
	t.Helper()
	if opts.Modules == nil {
		opts.Modules = testModules()
	}
	c, err := NewCompiler(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddSource("t.yar", "", []byte(src)); err != nil {
		t.Fatalf("compile: %v", err)
	}
	rs, err := c.Rules()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func names(t testing.TB, rs *Rules, data []byte, opts *ScanOptions) string {
	t.Helper()
	res, err := rs.Scan(context.Background(), data, opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range res {
		out = append(out, m.Rule.Name)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestStringModifiersAndConditions(t *testing.T) {
	tests := []struct {
		name, rule string
		data       string
		want       bool
	}{
		{"xor range", `rule r { strings: $a = "secret" xor(1-3) condition: $a }`, "x" + xorS("secret", 2), true},
		{"xor outside range", `rule r { strings: $a = "secret" xor(1-3) condition: $a }`, xorS("secret", 7), false},
		{"base64", `rule r { strings: $a = "This program cannot" base64 condition: $a }`, "xxVGhpcyBwcm9ncmFtIGNhbm5vdA==", true},
		{"base64wide", `rule r { strings: $a = "hello world" base64wide condition: $a }`, wideS("aGVsbG8gd29ybGQ"), true},
		{"base64 custom alphabet", `rule r { strings: $a = "hello" base64("!@#$%^&*(){}[].,|ABCDEFGHIJ\x09LMNOPQRSTUVWXYZabcdefghijklmnopqrstu") condition: $a }`, "!!", false},
		{"wide nocase", `rule r { strings: $a = "AbC" wide nocase condition: $a }`, wideS("aBc"), true},
		{"fullword ok", `rule r { strings: $a = "word" fullword condition: $a }`, "a word.", true},
		{"fullword bad", `rule r { strings: $a = "word" fullword condition: $a }`, "awords", false},
		{"hex alternatives and nibbles", `rule r { strings: $a = { 4D 5? ( 90 | 91 92 ) ~00 } condition: $a }`, "MZ\x91\x92\x01", true},
		{"hex chained jump", `rule r { strings: $a = { 41 41 [300-] 42 42 } condition: $a }`, "AA" + strings.Repeat("x", 400) + "BB", true},
		{"hex chained jump too short", `rule r { strings: $a = { 41 41 [300-] 42 42 } condition: $a }`, "AA" + strings.Repeat("x", 100) + "BB", false},
		{"regex bytes", `rule r { strings: $a = /\xE8.{4}\x90/ condition: $a }`, "\xe8abcd\x90", true},
		{"count in range", `rule r { strings: $a = "ab" condition: #a in (0..3) == 2 }`, "ababab", true},
		{"offset and length", `rule r { strings: $a = /ab+/ condition: @a[1] == 1 and !a[1] == 3 }`, "xabb", true},
		{"for of", `rule r { strings: $a = "x" $b = "y" condition: for all of ($a, $b) : (# > 1) }`, "xxyy", true},
		{"for in range", `rule r { strings: $a = "x" condition: for any i in (1..#a) : (@a[i] == 2) }`, "..x", true},
		{"percent of", `rule r { strings: $a = "1" $b = "2" $c = "3" condition: 60% of them }`, "12", true},
		{"string ops", `rule r { condition: "Hello" icontains "ell" and "abc" startswith "ab" and "abc" iequals "ABC" and "a.exe" matches /\.EXE$/i }`, "", true},
		{"integer reads", `rule r { condition: uint16(0) == 0x5A4D and uint32be(2) == 0x01020304 and int8(6) == -1 }`, "MZ\x01\x02\x03\x04\xff", true},
		{"undefined is false", `rule r { condition: uint32(100) == 0 or not (uint32(100) == 1) }`, "x", false},
		{"math module", `import "math" rule r { condition: math.entropy(0, filesize) == 0.0 }`, "aaaa", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := compileT(t, tt.rule, Options{})
			got := names(t, rs, []byte(tt.data), nil) == "r"
			if got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func xorS(s string, k byte) string {
	b := []byte(s)
	for i := range b {
		b[i] ^= k
	}
	return string(b)
}

func wideS(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		b.WriteByte(0)
	}
	return b.String()
}

func TestGlobalAndPrivateRulesAreScopedToNamespace(t *testing.T) {
	c, _ := NewCompiler(Options{})
	c.AddSource("a.yar", "a", []byte(`global rule g { condition: filesize > 100 } rule r1 { condition: true }`))
	c.AddSource("b.yar", "b", []byte(`private rule p { condition: true } rule r1 { condition: p }`))
	rs, err := c.Rules()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := rs.Scan(context.Background(), []byte("small"), nil)
	if len(res) != 1 || res[0].Rule.Namespace != "b" || res[0].Rule.Name != "r1" {
		t.Fatalf("got %+v, want only b:r1 (the global rule of a fails, p is private)", res)
	}
}

func TestBadRuleIsSkippedOthersCompile(t *testing.T) {
	c, _ := NewCompiler(Options{Modules: testModules()})
	err := c.AddSource("t.yar", "", []byte(`
import "nosuchmodule"
rule bad1 { condition: undefined_thing }
rule bad2 { strings: $a = "x" condition: true }
rule good { condition: true }
`))
	el := CompileErrors(err)
	if len(el) != 3 {
		t.Fatalf("got %d errors, want 3: %v", len(el), err)
	}
	for _, want := range []string{`t.yar:2:1: unknown module "nosuchmodule"`, `t.yar:3:24: rule "bad1": undefined identifier "undefined_thing"`, `t.yar:4:22: rule "bad2": unreferenced string $a`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors %q lack %q", err, want)
		}
	}
	rs, _ := c.Rules()
	if len(rs.Rules()) != 1 || rs.Rules()[0].Name != "good" {
		t.Errorf("compiled %d rules, want only good", len(rs.Rules()))
	}
}

func TestIncludesAndExternals(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "base.yar"), []byte(`rule base { condition: ext_flag }`), 0o644)
	main := filepath.Join(dir, "main.yar")
	os.WriteFile(main, []byte(`include "base.yar" rule top { condition: base and ext_name == "x.exe" }`), 0o644)
	c, _ := NewCompiler(Options{Externals: map[string]any{"ext_flag": true, "ext_name": "none"}})
	if err := c.AddFile(main, "ns"); err != nil {
		t.Fatal(err)
	}
	rs, _ := c.Rules()
	if got := names(t, rs, nil, nil); got != "base" {
		t.Errorf("got %q, want base", got)
	}
	if got := names(t, rs, nil, &ScanOptions{Externals: map[string]any{"ext_name": "x.exe"}}); got != "base,top" {
		t.Errorf("with ext_name: got %q, want base,top", got)
	}
	// Save and load keep includes and externals.
	var buf bytes.Buffer
	if err := rs.Save(&buf); err != nil {
		t.Fatal(err)
	}
	rs2, err := Load(&buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, rs2, nil, &ScanOptions{Externals: map[string]any{"ext_name": "x.exe"}}); got != "base,top" {
		t.Errorf("after load: got %q, want base,top", got)
	}
}

func TestMatchCapPerString(t *testing.T) {
	rs := compileT(t, `rule r { strings: $a = "a" condition: #a == 1000 }`, Options{})
	data := bytes.Repeat([]byte("a"), 5000)
	if got := names(t, rs, data, &ScanOptions{MaxMatchesPerString: 1000}); got != "r" {
		t.Errorf("with a cap of 1000 matches, #a should be 1000")
	}
}

func TestScanTimeout(t *testing.T) {
	rs := compileT(t, `rule r { strings: $a = { 61 [0-150] 62 } condition: $a }`, Options{})
	data := bytes.Repeat([]byte("a"), 8<<20)
	_, err := rs.Scan(context.Background(), data, &ScanOptions{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
}

func TestNoTextRegexCostExplodes(t *testing.T) {
	// A pathological pattern for backtracking engines stays linear-ish here.
	rs := compileT(t, `rule r { strings: $a = /(a|aa)*(a|aa)*(a|aa)*b/ condition: $a }`, Options{})
	data := bytes.Repeat([]byte("a"), 20000)
	start := time.Now()
	if got := names(t, rs, data, &ScanOptions{Timeout: time.Minute}); got != "" {
		t.Errorf("matched %q", got)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestJobWalksFiltersAndReports(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "hit.txt"), []byte("evil marker"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "hit2.txt"), []byte("evil marker"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "skip.log"), []byte("evil marker"), 0o644)
	os.WriteFile(filepath.Join(dir, "big.bin"), bytes.Repeat([]byte("evil marker "), 1000), 0o644)
	os.Symlink(filepath.Join(dir, "hit.txt"), filepath.Join(dir, "sub", "link"))
	rs := compileT(t, `rule Evil : demo { meta: score = 5 strings: $a = "evil" condition: $a }`, Options{})
	var out, errs bytes.Buffer
	var detected []string
	job := &Job{Rules: rs, Threads: 2, MaxSize: 1000, Format: "text", Out: &out, Errs: &errs,
		Walk: WalkOptions{Recursive: true, Exclude: []string{"*.log"}},
		OnDetection: func(path string, what []string) error {
			detected = append(detected, filepath.Base(path)+"="+strings.Join(what, ","))
			return nil
		}}
	sum := job.Run(context.Background(), []string{dir})
	sort.Strings(detected)
	if strings.Join(detected, " ") != "hit.txt=default:Evil hit2.txt=default:Evil" {
		t.Errorf("OnDetection calls: %v", detected)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	sort.Strings(lines)
	want := []string{"Evil " + filepath.Join(dir, "hit.txt"), "Evil " + filepath.Join(dir, "sub", "hit2.txt")}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("output %q, want %q", lines, want)
	}
	if sum.Files != 2 || sum.Skipped != 1 || sum.Detections != 2 || sum.Errors != 0 {
		t.Errorf("summary %+v", sum)
	}
	out.Reset()
	job.Format = "jsonl"
	job.Walk.Recursive = false
	job.Run(context.Background(), []string{filepath.Join(dir, "hit.txt")})
	for _, w := range []string{`"rule":"Evil"`, `"tags":["demo"]`, `"meta":{"score":5}`, `"identifier":"$a","offset":0,"length":4`, `"sha256":"`} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("jsonl %s lacks %s", out.String(), w)
		}
	}
}

func TestJobChecksHashesAndPrintsConsole(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.bin"), []byte("payload"), 0o644)
	os.WriteFile(filepath.Join(dir, "good.bin"), []byte("fine"), 0o644)
	rs := compileT(t, `import "console" rule c { condition: console.log("seen ", filesize) and false }`, Options{})
	var out, errs bytes.Buffer
	job := &Job{Rules: rs, Threads: 1, Format: "text", Out: &out, Errs: &errs,
		HashCheck: func(d *Digests) []HashHit {
			if d.SHA256 == sha256.Sum256([]byte("payload")) {
				return []HashHit{{Kind: "sha256", Indicator: "x", Threat: "Demo"}}
			}
			return nil
		}}
	sum := job.Run(context.Background(), []string{filepath.Join(dir, "bad.bin"), filepath.Join(dir, "good.bin")})
	if !strings.Contains(out.String(), "hash:sha256:Demo "+filepath.Join(dir, "bad.bin")) {
		t.Errorf("no hash hit in %q", out.String())
	}
	if strings.Count(out.String(), "seen ") != 2 {
		t.Errorf("console output missing: %q", out.String())
	}
	if sum.Detections != 1 || sum.Files != 2 {
		t.Errorf("summary %+v", sum)
	}
}
