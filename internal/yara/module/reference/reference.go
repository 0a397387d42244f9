// Package reference runs the reference YARA command-line tool (yara 4.2.3,
// Debian package "yara") for module tests: it dumps a module's data with
// `yara -D` and collects console.log lines, and it flattens medshield module
// values into the same "path = value" form so that tests can compare field by
// field. Tests skip when yara is not installed, unless MEDSHIELD_REQUIRE_YARA=1.
//
// Only tests import this package.
package reference

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/yara/module"
)

// Yara returns the path of the yara binary, skipping the test when it is
// absent (failing when MEDSHIELD_REQUIRE_YARA=1).
func Yara(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("yara")
	if err != nil {
		if os.Getenv("MEDSHIELD_REQUIRE_YARA") == "1" {
			t.Fatalf("reference yara not found (MEDSHIELD_REQUIRE_YARA=1): %v", err)
		}
		t.Skip("reference yara not installed (apt-get install yara); skipping comparison")
	}
	return p
}

func run(t testing.TB, rule, file string, args ...string) []byte {
	t.Helper()
	bin := Yara(t)
	rf := filepath.Join(t.TempDir(), "r.yar")
	if err := os.WriteFile(rf, []byte(rule), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args = append(append([]string{"-w"}, args...), rf, file)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("yara %v: %v: %s", args, err, stderr.String())
	}
	return out
}

// Console runs rule on file and returns yara's output lines (console.log
// lines and "rule file" match lines).
func Console(t testing.TB, rule, file string) []string {
	t.Helper()
	out := strings.TrimRight(string(run(t, rule, file)), "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// Dump returns the module data yara prints with -D for file, flattened to
// path → printed value (e.g. "sections[0].name" → `".text"`).
func Dump(t testing.TB, mod, file string) map[string]string {
	t.Helper()
	out := run(t, fmt.Sprintf("import %q\nrule dump { condition: false }\n", mod), file, "-D")
	return parseDump(string(out), mod)
}

func parseDump(out, mod string) map[string]string {
	res := map[string]string{}
	var stack []string // path element per indent level
	for _, line := range strings.Split(out, "\n") {
		depth := len(line) - len(strings.TrimLeft(line, "\t"))
		body := line[depth:]
		if body == "" {
			continue
		}
		if depth == 0 {
			if body != mod {
				continue // the next module or a match line
			}
			stack = stack[:0]
			continue
		}
		name, val, hasVal := strings.Cut(body, " = ")
		if !hasVal && strings.HasSuffix(body, " =") {
			name, hasVal = strings.TrimSuffix(body, " ="), true
		}
		if depth-1 > len(stack) {
			continue // malformed nesting; ignore
		}
		stack = stack[:depth-1]
		elem := name
		if strings.HasPrefix(name, "[") || len(stack) == 0 {
			// array items print "[i]"; keep them glued to the parent
		} else {
			elem = "." + name
		}
		if hasVal {
			res[strings.TrimPrefix(strings.Join(stack, "")+elem, ".")] = val
		} else {
			stack = append(stack, elem)
		}
	}
	return res
}

// Flatten renders v (a module root) in yara -D's form. Dictionary keys
// print like struct members, as yara does.
func Flatten(v module.Value) map[string]string {
	res := map[string]string{}
	flatten(res, "", v)
	return res
}

func flatten(res map[string]string, path string, v module.Value) {
	switch v.Kind {
	case module.KindStruct:
		for k, f := range v.Fields {
			flatten(res, join(path, k), f)
		}
		return
	case module.KindArray:
		for i, it := range v.Items {
			if it.Undefined && it.Kind == 0 {
				continue // a hole: yara prints only the items that exist
			}
			flatten(res, path+"["+strconv.Itoa(i)+"]", it)
		}
		return
	case module.KindDict:
		for k, it := range v.Dict {
			flatten(res, join(path, k), it)
		}
		return
	}
	res[path] = Format(v)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// Format prints a scalar as yara -D does.
func Format(v module.Value) string {
	if v.Undefined {
		return "YR_UNDEFINED"
	}
	switch v.Kind {
	case module.KindInteger:
		return strconv.FormatInt(v.I, 10)
	case module.KindFloat:
		return CFloat(v.F)
	case module.KindString:
		var b strings.Builder
		b.WriteByte('"')
		for _, c := range v.S {
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "\\x%02x", c)
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	return "YR_UNDEFINED"
}

// CFloat formats like glibc's printf("%f").
func CFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// Diff compares yara's dump with ours and returns one line per difference,
// sorted. Keys for which skip returns true are ignored.
func Diff(want, got map[string]string, skip func(key string) bool) []string {
	var d []string
	for k, w := range want {
		if skip != nil && skip(k) {
			continue
		}
		g, ok := got[k]
		if !ok {
			g = "YR_UNDEFINED"
		}
		if g != w {
			d = append(d, fmt.Sprintf("%s: yara %s, medshield %s", k, w, g))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; ok || (skip != nil && skip(k)) || g == "YR_UNDEFINED" {
			continue
		}
		d = append(d, fmt.Sprintf("%s: yara (absent), medshield %s", k, g))
	}
	sort.Strings(d)
	return d
}

// Synthetic generates the deterministic part of the YARA corpus
// (gen_synth.pl from ../shared/corpora/yara, synthetic files only) into a
// temporary directory and returns the files of synthetic/<kind> (for
// example "pe" or "elf"). It skips when perl or the corpus is missing.
func Synthetic(t testing.TB, corpusDir, kind string) []string {
	t.Helper()
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl not installed; skipping the synthetic corpus")
	}
	out := t.TempDir()
	rules := t.TempDir() // no rules: only the synthetic/ part is generated
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, perl, filepath.Join(corpusDir, "gen_synth.pl"), out, rules, "0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_synth.pl: %v: %s", err, b)
	}
	files, _ := filepath.Glob(filepath.Join(out, "synthetic", kind, "*"))
	sort.Strings(files)
	return files
}

// ReportCPU adds a "MB/cpu-s" metric to a benchmark: bytes processed per
// second of process CPU time between start and now. Call b.ReportMetric
// through it after the loop.
func ReportCPU(b *testing.B, start time.Duration, bytes int64) {
	cpu := CPUTime() - start
	if cpu <= 0 || start == 0 {
		return
	}
	b.ReportMetric(float64(bytes)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
}

// ExtraSamples returns the regular files of the directory named by the
// environment variable env (for example MEDSHIELD_PE_SAMPLES), so that a
// developer can compare the modules with yara on a sample collection that
// is not part of the repository. None when the variable is unset.
func ExtraSamples(env string) []string {
	dir := os.Getenv(env)
	if dir == "" {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// ConformanceBlobs writes the test files embedded in the corpus'
// conformance/yara-v4.2.3-test-cases.json (YARA's own tests/test-*.c blobs:
// PE32_FILE, ELF32_FILE, ...) into a temporary directory and returns their
// paths.
func ConformanceBlobs(t testing.TB, corpusDir string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(corpusDir, "conformance", "yara-v4.2.3-test-cases.json"))
	if err != nil {
		t.Fatalf("conformance cases: %v", err)
	}
	var doc struct {
		Blobs map[string]string `json:"blobs"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("conformance cases: %v", err)
	}
	dir := t.TempDir()
	var out []string
	for name, h := range doc.Blobs {
		data, err := hex.DecodeString(h)
		if err != nil {
			t.Fatalf("blob %s: %v", name, err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// LoadFile runs module m on a file.
func LoadFile(t testing.TB, m module.Module, path string) module.Value {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.Load(&module.ScanContext{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// CompareDumps checks, file by file, that every field `yara -D` prints for
// module m equals ours.
func CompareDumps(t *testing.T, m module.Module, files []string) {
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := Dump(t, m.Name(), path)
			got := Flatten(LoadFile(t, m, path))
			if d := Diff(want, got, nil); len(d) > 0 {
				if len(d) > 40 {
					d = append(d[:40], "...")
				}
				t.Errorf("%d differences with yara -D:\n%s", len(d), strings.Join(d, "\n"))
			}
		})
	}
}
