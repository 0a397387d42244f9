package yara

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/corpus"
)

// compileDir compiles every rule file under dir (each in its own
// namespace); keep, when set, samples the files.
func compileDir(t testing.TB, dir string, keep func(i int) bool) *Rules {
	t.Helper()
	c, err := NewCompiler(Options{Modules: testModules()})
	if err != nil {
		t.Fatal(err)
	}
	for i, rf := range ruleFiles(t, dir) {
		if keep == nil || keep(i) {
			c.AddFile(filepath.Join(dir, rf), rf)
		}
	}
	rs, _ := c.Rules()
	return rs
}

func saveLoad(t testing.TB, rs *Rules) (*Rules, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := rs.Save(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := Load(bytes.NewReader(buf.Bytes()), Options{Modules: testModules()})
	if err != nil {
		t.Fatal(err)
	}
	return out, buf.Bytes()
}

// matchLines renders every (rule, string, offset, length) of a scan.
func matchLines(t testing.TB, rs *Rules, data []byte) []string {
	t.Helper()
	ms, err := rs.Scan(context.Background(), data, &ScanOptions{Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule.Namespace+":"+m.Rule.Name)
		for _, s := range m.Strings {
			out = append(out, fmt.Sprintf("%s:%s $%s %v", m.Rule.Namespace, m.Rule.Name, s.ID, s.Matches))
		}
	}
	sort.Strings(out)
	return out
}

// checkSame scans inputs with both rule sets and returns how many rule
// matches they agreed on.
func checkSame(t *testing.T, want, got *Rules, inputs map[string][]byte) int {
	t.Helper()
	if len(want.Rules()) != len(got.Rules()) || want.NumStrings() != got.NumStrings() || want.NumAtoms() != got.NumAtoms() {
		t.Fatalf("loaded set differs: %d rules/%d strings/%d atoms, want %d/%d/%d",
			len(got.Rules()), got.NumStrings(), got.NumAtoms(), len(want.Rules()), want.NumStrings(), want.NumAtoms())
	}
	hits := 0
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, g := matchLines(t, want, inputs[n]), matchLines(t, got, inputs[n])
		if strings.Join(w, "\n") != strings.Join(g, "\n") {
			t.Errorf("%s: loaded rules match\n%s\nfresh rules match\n%s", n, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
		for _, l := range w {
			if !strings.Contains(l, " $") {
				hits++
			}
		}
	}
	return hits
}

// corpusInputs reads a deterministic sample (every step-th file) of the
// generated target corpus.
func corpusInputs(t *testing.T, step int) map[string][]byte {
	root := corpus.Dir(t, "yara")
	targets := deterministicTargets(t, root)
	files := checkCorpusHashes(t, root, targets)
	in := map[string][]byte{}
	for i, f := range files {
		if i%step != 0 {
			continue
		}
		b, err := os.ReadFile(filepath.Join(targets, f))
		if err != nil {
			t.Fatal(err)
		}
		in[f] = b
	}
	return in
}

func TestCompiledRoundTripStarterRules(t *testing.T) {
	rs := compileDir(t, filepath.Join("..", "..", "rules", "yara"), nil)
	got, _ := saveLoad(t, rs)
	in := map[string][]byte{
		"eicar":  []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`),
		"miner":  []byte(`{"url": "stratum+tcp://pool.minexmr.com:4444", "algo": "cryptonight", "donate-level": 1} xmrig`),
		"shell":  []byte(`<?php eval(base64_decode($_POST['x'])); system($_GET['c']); ?>`),
		"random": bytes.Repeat([]byte{0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0}, 512),
	}
	if testing.Short() {
		checkSame(t, rs, got, in)
		return
	}
	for k, v := range corpusInputs(t, 4) {
		in[k] = v
	}
	hits := checkSame(t, rs, got, in)
	t.Logf("starter rules: %d rule matches identical on %d inputs", hits, len(in))
	if hits == 0 {
		t.Error("no starter rule matched any input: the comparison proves nothing")
	}
}

func TestCompiledRoundTripCorpus(t *testing.T) {
	root := corpus.Dir(t, "yara")
	// Every rule file of every set, on every fourth corpus file (the
	// differential test already checks the sets against yara on all).
	in := corpusInputs(t, 4)
	for _, set := range diffSets {
		t.Run(set, func(t *testing.T) {
			rs := compileDir(t, filepath.Join(root, "rules", set), nil)
			start := time.Now()
			got, b := saveLoad(t, rs)
			t.Logf("%s: %d rules, %d bytes compiled; saved and loaded in %v", set, len(rs.Rules()), len(b), time.Since(start).Round(time.Millisecond))
			hits := checkSame(t, rs, got, in)
			t.Logf("%s: %d rule matches identical on %d files", set, hits, len(in))
			if hits == 0 {
				t.Error("no rule matched any input: the comparison proves nothing")
			}
		})
	}
}

// TestCompiledFeatures covers condition and string kinds one by one, with
// externals and modules.
func TestCompiledFeatures(t *testing.T) {
	src := `
import "math"
import "hash"
global rule g { condition: filesize > 0 }
private rule p : tagp { meta: a = "x" b = 3 c = true strings: $a = "abc" nocase wide ascii fullword condition: $a }
rule r1 : t1 t2 { strings: $h = { 4D 5A ?? [2-4] 5? ~00 ( 01 | 02 ) } $x = "k3y" xor(1-3) $b = "hello" base64 $w = "hello" base64wide
  condition: any of them and not defined @h[100] and !h[1] >= 0 }
rule r2 { strings: $r = /a[^b]{1,8}c\b/is $ = "zz" condition: for any i in (1..#r) : (@r[i] < filesize) and #r in (0..filesize) >= 1 and $r in (0..100) or any of ($*) }
rule r3 { strings: $c = { 41 42 43 [300-] 44 45 46 } condition: $c }
rule r4 { condition: math.entropy(0, filesize) > 1.5 and hash.md5(0, 3) != "" and uint16(0) == 0x5a4d }
rule r6 { strings: $a = "abc" condition: for all of ($a) : ($ at @a[1]) and for any x in ("a", "b") : (x == "a") }
rule r7 { condition: "abc" matches /B/i and 2.5 * 2 == 5.0 and -1 & 3 == 3 and (7 \ 2) == 3 and 1 << 2 == 4 }
rule x5 { condition: p or r1 and ext_i > 2 and ext_s contains "b" and ext_b and ext_f < 2.0 and 1 of (r*) }
`
	c, err := NewCompiler(Options{Modules: testModules(), Externals: map[string]any{"ext_i": 3, "ext_s": "abc", "ext_b": true, "ext_f": 1.5}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddSource("t.yar", "ns1", []byte(src)); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Rules()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := saveLoad(t, rs)
	var long bytes.Buffer
	long.WriteString("MZ\x00\x00\x00\x05\xff\x01 a\x00b\x00c\x00 ABC k3y ")
	long.Write(xorBytes("k3y", 2))
	long.WriteString(" aGVsbG8 abc axxc zz ABC")
	long.Write(bytes.Repeat([]byte{'.'}, 400))
	long.WriteString("DEF")
	in := map[string][]byte{"long": long.Bytes(), "empty": nil, "abc": []byte("abc")}
	if hits := checkSame(t, rs, got, in); hits < 5 {
		t.Errorf("only %d rule matches: the features are not exercised", hits)
	}
	if got.Rules()[1].Meta[1].Value != int64(3) || got.Rules()[2].Tags[1] != "t2" || !got.Rules()[0].Global || !got.Rules()[1].Private {
		t.Errorf("rule attributes lost: %+v", got.Rules()[:3])
	}
	if len(got.Sources()) != 1 || string(got.Sources()[0].Text) != src {
		t.Error("sources not kept")
	}
}

func xorBytes(s string, k byte) []byte {
	b := []byte(s)
	for i := range b {
		b[i] ^= k
	}
	return b
}

// TestCompiledCorrupt checks that damaged or foreign files give clear
// errors.
func TestCompiledCorrupt(t *testing.T) {
	rs := compileT(t, `rule a { strings: $a = "abc" condition: $a }`, Options{})
	var buf bytes.Buffer
	if err := rs.Save(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	hdr := len(binMagic) + 2 + 1 + len(engineVersion)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a medshield compiled rule file"},
		{"source text", []byte("rule a { condition: true }"), "not a medshield compiled rule file"},
		{"format version", mod(func(b []byte) []byte { b[len(binMagic)+1] = 9; return b }), "format version 9"},
		{"engine version", mod(func(b []byte) []byte { b[hdr-1] ^= 1; return b }), "made by engine"},
		{"truncated header", good[:hdr+10], "truncated header"},
		{"truncated payload", good[:len(good)-3], "truncated"},
		{"flipped byte", mod(func(b []byte) []byte { b[len(b)-5] ^= 0x40; return b }), "SHA-256"},
		{"huge length", mod(func(b []byte) []byte { binary.BigEndian.PutUint64(b[hdr+32:], 1<<40); return b }), "over the"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(bytes.NewReader(tc.data), Options{Modules: testModules()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestCompiledMissingModule: a module the loading build lacks is named.
func TestCompiledMissingModule(t *testing.T) {
	rs := compileT(t, `import "math" rule a { condition: math.entropy(0, filesize) > 1 }`, Options{})
	var buf bytes.Buffer
	if err := rs.Save(&buf); err != nil {
		t.Fatal(err)
	}
	_, err := Load(&buf, Options{})
	if err == nil || !strings.Contains(err.Error(), `module "math"`) {
		t.Fatalf("error %v, want the missing module named", err)
	}
}

// TestLoadFirstFormat keeps files of the first (source) format loadable.
func TestLoadFirstFormat(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString(compiledMagic)
	zw := gzip.NewWriter(&buf)
	sv := savedRules{Sources: []Source{{Name: "a.yar", Namespace: "default", Text: []byte(`rule a { strings: $a = "abc" condition: $a }`)}}}
	if err := gob.NewEncoder(zw).Encode(&sv); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	rs, err := Load(&buf, Options{Modules: testModules()})
	if err != nil {
		t.Fatal(err)
	}
	if got := matchLines(t, rs, []byte("xxabc")); len(got) != 2 {
		t.Fatalf("matches %v", got)
	}
}

// compiledSeed is a compiled file using many features, for the fuzz
// target's seed corpus.
func compiledSeed(t testing.TB) []byte {
	rs := compileT(t, `
import "math"
rule a : t { meta: m = "x" strings: $a = "abc" nocase wide $b = { 4D 5A [0-20] 50 45 } $c = /a[^b]{1,8}c\b/ $d = "k" xor(1-5) $e = { 41 [300-] 42 }
  condition: any of them and math.entropy(0, filesize) >= 0 and for any i in (1..#a) : (@a[i] > 2) }
rule b { condition: a and filesize < 10 }
`, Options{})
	var buf bytes.Buffer
	if err := rs.Save(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzLoadCompiled loads mutated compiled files: Load may refuse them but
// must not panic or hang. The SHA-256 check is recomputed so mutations
// reach the payload decoder.
func FuzzLoadCompiled(f *testing.F) {
	seed := compiledSeed(f)
	hdr := len(binMagic) + 2 + 1 + len(engineVersion)
	f.Add(seed[hdr+40:])
	var starter bytes.Buffer
	if err := compileDir(f, filepath.Join("..", "..", "rules", "yara"), nil).Save(&starter); err != nil {
		f.Fatal(err)
	}
	f.Add(starter.Bytes()[hdr+40:])
	f.Fuzz(func(t *testing.T, payload []byte) {
		rs, err := decodePayload(payload, Options{Modules: testModules()})
		if err == nil {
			rs.Scan(context.Background(), []byte("MZ abc xxabc a\x00b\x00c\x00"), &ScanOptions{Timeout: 5 * time.Second})
		}
	})
}

// TestCompiledInclude: rules from included files (and the imports they
// declare) survive the round trip.
func TestCompiledInclude(t *testing.T) {
	files := map[string]string{
		filepath.Join("dir", "inc.yar"): `import "math" rule inc { strings: $a = "inc" condition: $a and math.entropy(0, 1) >= 0 }`,
	}
	c, err := NewCompiler(Options{Modules: testModules(), ReadFile: func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddSource(filepath.Join("dir", "main.yar"), "m", []byte(`include "inc.yar" rule top { condition: inc and math.mean(0, 1) > 0 }`)); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Rules()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := saveLoad(t, rs)
	if hits := checkSame(t, rs, got, map[string][]byte{"inc": []byte("inc"), "no": []byte("xyz")}); hits != 2 {
		t.Errorf("%d rule matches, want 2 (inc and top on the file holding \"inc\")", hits)
	}
}

// TestCompiledMutations decodes every single-byte mutation and every
// truncation of a real payload (the digest is bypassed, as a hostile file
// would recompute it): each must be refused or load into rules that scan,
// never panic.
func TestCompiledMutations(t *testing.T) {
	seed := compiledSeed(t)
	payload := seed[len(binMagic)+2+1+len(engineVersion)+40:]
	refused := 0
	try := func(p []byte) {
		rs, err := decodePayload(p, Options{Modules: testModules()})
		if err != nil {
			refused++
			return
		}
		if _, err := rs.Scan(context.Background(), []byte("MZ abc xxabc a\x00b\x00c\x00 PE"), &ScanOptions{Timeout: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range payload {
		for _, m := range []func(byte) byte{func(b byte) byte { return ^b }, func(b byte) byte { return b + 1 }, func(byte) byte { return 0xff }} {
			p := append([]byte(nil), payload...)
			p[i] = m(p[i])
			try(p)
		}
		try(payload[:i])
	}
	if refused < len(payload) {
		t.Errorf("only %d of %d mutated payloads refused: truncations alone should be", refused, 4*len(payload))
	}
	t.Logf("%d payload bytes, %d of %d mutations refused", len(payload), refused, 4*len(payload))
}
