package math

import (
	"fmt"
	gomath "math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// call invokes the overload of name whose argument letters are args.
func call(t *testing.T, data []byte, name, args string, vals ...module.Value) module.Value {
	t.Helper()
	m := New()
	ft := m.Schema().Lookup(name)
	if ft == nil || ft.Kind != module.KindFunc {
		t.Fatalf("math.%s is not a function", name)
	}
	root, err := m.Load(&module.ScanContext{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ft.Funcs {
		if s.Args == args {
			return s.Impl(&module.ScanContext{Data: data}, &root, vals)
		}
	}
	t.Fatalf("math.%s has no overload %q", name, args)
	return module.Undef
}

var (
	i = module.Int
	f = module.Float
	s = func(x string) module.Value { return module.Str([]byte(x)) }
)

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestKnownValues(t *testing.T) {
	type tc struct {
		name, fn, args string
		data           []byte
		vals           []module.Value
		want           module.Value
	}
	undef := module.Undef
	cases := []tc{
		{"entropy of one repeated byte", "entropy", "ii", []byte("AAAA"), []module.Value{i(0), i(4)}, f(0)},
		{"entropy of all 256 bytes", "entropy", "ii", allBytes(), []module.Value{i(0), i(256)}, f(8)},
		{"entropy of two bytes", "entropy", "s", nil, []module.Value{s("AB")}, f(1)},
		{"entropy of empty string", "entropy", "s", nil, []module.Value{s("")}, f(0)},
		{"entropy size clipped at end", "entropy", "ii", []byte("ABAB"), []module.Value{i(2), i(100)}, f(1)},
		{"entropy negative offset", "entropy", "ii", []byte("AB"), []module.Value{i(-1), i(1)}, undef},
		{"entropy negative size", "entropy", "ii", []byte("AB"), []module.Value{i(0), i(-1)}, undef},
		{"entropy offset at end", "entropy", "ii", []byte("AB"), []module.Value{i(2), i(0)}, undef},
		{"entropy empty range inside", "entropy", "ii", []byte("AB"), []module.Value{i(0), i(0)}, f(0)},
		{"mean", "mean", "ii", []byte{0, 0xff}, []module.Value{i(0), i(2)}, f(127.5)},
		{"mean of empty range is undefined (NaN)", "mean", "ii", []byte("AB"), []module.Value{i(0), i(0)}, undef},
		{"mean of string", "mean", "s", nil, []module.Value{s("\x02\x04")}, f(3)},
		{"mean of empty string", "mean", "s", nil, []module.Value{s("")}, undef},
		{"mean of string reads signed chars", "mean", "s", nil, []module.Value{s("\xff\x01")}, f(0)},
		{"deviation", "deviation", "iif", []byte{0, 0xff}, []module.Value{i(0), i(2), f(127.5)}, f(127.5)},
		{"deviation of string", "deviation", "sf", nil, []module.Value{s("\x00\x0a"), f(5)}, f(5)},
		{"serial correlation constant", "serial_correlation", "s", nil, []module.Value{s("AAAA")}, f(-100000)},
		{"serial correlation range constant", "serial_correlation", "ii", []byte("AAAA"), []module.Value{i(0), i(4)}, f(-100000)},
		// 0,1: t1 = 0*1 + 1*1 = 1, t2 = 1, t3 = 1 → (2*1-1)/(2*1-1) = 1.
		{"serial correlation 0,1", "serial_correlation", "s", nil, []module.Value{s("\x00\x01")}, f(1)},
		{"monte carlo pi too short", "monte_carlo_pi", "s", nil, []module.Value{s("12345")}, undef},
		// one point (0,0) is inside the circle: estimate 4, error (4-pi)/pi.
		{"monte carlo pi one point", "monte_carlo_pi", "ii", make([]byte, 6), []module.Value{i(0), i(6)}, f((4 - 3.141592653589793) / 3.141592653589793)},
		{"in_range inside", "in_range", "fff", nil, []module.Value{f(1), f(0), f(2)}, i(1)},
		{"in_range bounds inclusive", "in_range", "fff", nil, []module.Value{f(2), f(0), f(2)}, i(1)},
		{"in_range outside", "in_range", "fff", nil, []module.Value{f(3), f(0), f(2)}, i(0)},
		{"min is unsigned", "min", "ii", nil, []module.Value{i(-1), i(5)}, i(5)},
		{"max is unsigned", "max", "ii", nil, []module.Value{i(-1), i(5)}, i(-1)},
		{"min", "min", "ii", nil, []module.Value{i(3), i(5)}, i(3)},
		{"abs", "abs", "i", nil, []module.Value{i(-7)}, i(7)},
		{"to_number true", "to_number", "b", nil, []module.Value{i(1)}, i(1)},
		{"to_number false", "to_number", "b", nil, []module.Value{i(0)}, i(0)},
		{"count range", "count", "iii", []byte("AAAB"), []module.Value{i('A'), i(1), i(3)}, i(2)},
		{"count global", "count", "i", []byte("AAAB"), []module.Value{i('A')}, i(3)},
		{"count byte truncated to 8 bits", "count", "i", []byte("AAAB"), []module.Value{i(0x141)}, i(3)},
		{"count out of range", "count", "iii", []byte("AAAB"), []module.Value{i('A'), i(4), i(1)}, undef},
		{"percentage global", "percentage", "i", []byte("AAAB"), []module.Value{i('A')}, f(0.75)},
		{"percentage single precision", "percentage", "iii", []byte("ABC"), []module.Value{i('A'), i(0), i(3)}, f(float64(float32(1) / float32(3)))},
		{"percentage empty file", "percentage", "i", nil, []module.Value{i('A')}, undef},
		{"mode", "mode", "ii", []byte("ABB"), []module.Value{i(0), i(3)}, i('B')},
		{"mode tie takes smallest", "mode", "", []byte("BA"), nil, i('A')},
		{"mode of empty file", "mode", "", nil, nil, undef},
		{"count of empty file", "count", "i", nil, []module.Value{i(0)}, undef},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := call(t, c.data, c.fn, c.args, c.vals...)
			if got.Undefined != c.want.Undefined || (!got.Undefined && (got.Kind != c.want.Kind || got.I != c.want.I || gomath.Abs(got.F-c.want.F) > 1e-12)) {
				t.Errorf("math.%s(%s) = %+v, want %+v", c.fn, c.args, got, c.want)
			}
		})
	}
}

func TestLoadConstants(t *testing.T) {
	root, err := New().Load(&module.ScanContext{})
	if err != nil {
		t.Fatal(err)
	}
	if v := root.Get("MEAN_BYTES"); v.Kind != module.KindFloat || v.F != 127.5 {
		t.Errorf("MEAN_BYTES = %+v, want 127.5", v)
	}
}

// yaraArg renders a value as a YARA literal.
func yaraArg(v module.Value) string {
	switch v.Kind {
	case module.KindFloat:
		return fmt.Sprintf("%.6f", v.F)
	case module.KindString:
		var b strings.Builder
		b.WriteByte('"')
		for _, c := range v.S {
			fmt.Fprintf(&b, "\\x%02x", c)
		}
		b.WriteByte('"')
		return b.String()
	}
	return fmt.Sprint(v.I)
}

// TestAgainstYara evaluates every function on several files with the
// reference yara (through console.log, which prints floats with "%f") and
// compares the printed values.
func TestAgainstYara(t *testing.T) {
	reference.Yara(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 5000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	text := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 40))
	files := map[string][]byte{"random": random, "text": text, "tiny": []byte("AB\x00"), "empty": {}}
	if b, err := os.ReadFile("/bin/ls"); err == nil {
		files["ls"] = b
	}
	type expr struct {
		fn, args string
		vals     []module.Value
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			n := int64(len(data))
			exprs := []expr{
				{"entropy", "ii", []module.Value{i(0), i(n)}},
				{"entropy", "ii", []module.Value{i(1), i(n / 2)}},
				{"entropy", "ii", []module.Value{i(n), i(1)}},
				{"entropy", "s", []module.Value{module.Str(data[:min(n, 100)])}},
				{"entropy", "ii", []module.Value{i(0), i(0)}},
				{"mean", "ii", []module.Value{i(0), i(n)}},
				{"mean", "ii", []module.Value{i(2), i(0)}},
				{"mean", "s", []module.Value{module.Str(data[:min(n, 50)])}},
				{"deviation", "iif", []module.Value{i(0), i(n), f(127.5)}},
				{"deviation", "sf", []module.Value{module.Str(data[:min(n, 50)]), f(64)}},
				{"serial_correlation", "ii", []module.Value{i(0), i(n)}},
				{"serial_correlation", "s", []module.Value{module.Str(data[:min(n, 60)])}},
				{"monte_carlo_pi", "ii", []module.Value{i(0), i(n)}},
				{"monte_carlo_pi", "s", []module.Value{module.Str(data[:min(n, 60)])}},
				{"count", "iii", []module.Value{i(0), i(0), i(n)}},
				{"count", "i", []module.Value{i('e')}},
				{"percentage", "iii", []module.Value{i(0), i(0), i(n)}},
				{"percentage", "i", []module.Value{i('e')}},
				{"mode", "ii", []module.Value{i(0), i(n)}},
				{"mode", "", nil},
				{"min", "ii", []module.Value{i(-3), i(n)}},
				{"max", "ii", []module.Value{i(-3), i(n)}},
				{"abs", "i", []module.Value{i(-n)}},
				{"in_range", "fff", []module.Value{f(1.5), f(1), f(2)}},
			}
			var rule strings.Builder
			rule.WriteString("import \"math\"\nimport \"console\"\nrule r { condition: true")
			var want []string
			for k, e := range exprs {
				args := make([]string, len(e.vals))
				for j, v := range e.vals {
					args[j] = yaraArg(v)
				}
				fmt.Fprintf(&rule, "\n and (console.log(\"%d=\", math.%s(%s)) or console.log(\"%d=undef\"))", k, e.fn, strings.Join(args, ", "), k)
				got := call(t, data, e.fn, e.args, e.vals...)
				switch {
				case got.Undefined:
					want = append(want, fmt.Sprintf("%d=undef", k))
				case got.Kind == module.KindFloat:
					want = append(want, fmt.Sprintf("%d=%s", k, reference.CFloat(got.F)))
				default:
					want = append(want, fmt.Sprintf("%d=%d", k, got.I))
				}
			}
			rule.WriteString("\n}\n")
			lines := reference.Console(t, rule.String(), path)
			if len(lines) == 0 || lines[len(lines)-1] != "r "+path {
				t.Fatalf("yara did not match the logging rule: %q", lines)
			}
			lines = lines[:len(lines)-1]
			if strings.Join(lines, "\n") != strings.Join(want, "\n") {
				for k := range max(len(lines), len(want)) {
					var g, w string
					if k < len(lines) {
						g = lines[k]
					}
					if k < len(want) {
						w = want[k]
					}
					if g != w {
						t.Errorf("yara %q, medshield %q (%v)", g, w, exprs[min(k, len(exprs)-1)])
					}
				}
			}
		})
	}
}
