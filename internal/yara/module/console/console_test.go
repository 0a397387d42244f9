package console

import (
	"bytes"
	gomath "math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

type logCall struct {
	fn, args, text string // text: the same call in YARA syntax
	vals           []module.Value
	want           string
}

func str(s string) module.Value { return module.Str([]byte(s)) }

var calls = []logCall{
	{"log", "s", `"plain text"`, []module.Value{str("plain text")}, "plain text"},
	{"log", "s", `"tab\there\x00nul\xffhigh\\back"`, []module.Value{str("tab\there\x00nul\xffhigh\\back")}, `tab\x09here\x00nul\xffhigh\back`},
	{"log", "ss", `"msg: ", "a\nb"`, []module.Value{str("msg: "), str("a\nb")}, `msg: a\x0ab`},
	{"log", "ss", `"cut\x00here", "x"`, []module.Value{str("cut\x00here"), str("x")}, "cutx"},
	{"log", "i", `-42`, []module.Value{module.Int(-42)}, "-42"},
	{"log", "si", `"n=", 7`, []module.Value{str("n="), module.Int(7)}, "n=7"},
	{"log", "f", `1.5`, []module.Value{module.Float(1.5)}, "1.500000"},
	{"log", "sf", `"f=", 0.0000004`, []module.Value{str("f="), module.Float(0.0000004)}, "f=0.000000"},
	{"log", "f", `12345678.123456789`, []module.Value{module.Float(12345678.123456789)}, "12345678.123457"},
	{"hex", "i", `255`, []module.Value{module.Int(255)}, "0xff"},
	{"hex", "i", `-1`, []module.Value{module.Int(-1)}, "0xffffffffffffffff"},
	{"hex", "si", `"h=", 4096`, []module.Value{str("h="), module.Int(4096)}, "h=0x1000"},
}

func invoke(t *testing.T, sc *module.ScanContext, c logCall) module.Value {
	t.Helper()
	for _, s := range New().Schema().Lookup(c.fn).Funcs {
		if s.Args == c.args {
			return s.Impl(sc, nil, c.vals)
		}
	}
	t.Fatalf("console.%s has no overload %q", c.fn, c.args)
	return module.Undef
}

func TestLog(t *testing.T) {
	for _, c := range calls {
		t.Run(c.text, func(t *testing.T) {
			var buf bytes.Buffer
			got := invoke(t, &module.ScanContext{Console: &buf}, c)
			if got.Undefined || got.I != 1 {
				t.Errorf("result %+v, want 1", got)
			}
			if buf.String() != c.want+"\n" {
				t.Errorf("printed %q, want %q", buf.String(), c.want+"\n")
			}
		})
	}
}

func TestNilConsole(t *testing.T) {
	if got := invoke(t, &module.ScanContext{}, calls[0]); got.I != 1 {
		t.Errorf("log without a console = %+v, want 1", got)
	}
}

func TestSpecialFloats(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{{gomath.Inf(1), "inf"}, {gomath.Inf(-1), "-inf"}, {gomath.NaN(), "nan"}, {-0.5, "-0.500000"}} {
		if got := cFloat(tc.f); got != tc.want {
			t.Errorf("cFloat(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// TestAgainstYara checks that the expected lines above are what yara prints.
func TestAgainstYara(t *testing.T) {
	reference.Yara(t)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	var rule strings.Builder
	rule.WriteString("import \"console\"\nrule r { condition: true")
	var want []string
	for _, c := range calls {
		rule.WriteString("\n and console." + c.fn + "(" + c.text + ")")
		want = append(want, c.want)
	}
	rule.WriteString("\n}\n")
	want = append(want, "r "+path)
	if g, w := strings.Join(reference.Console(t, rule.String(), path), "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("yara:\n%s\nwant:\n%s", g, w)
	}
}
