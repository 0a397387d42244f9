package hash

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

func call(t *testing.T, root *module.Value, data []byte, name, args string, vals ...module.Value) module.Value {
	t.Helper()
	ft := New().Schema().Lookup(name)
	if ft == nil {
		t.Fatalf("hash.%s missing", name)
	}
	for _, s := range ft.Funcs {
		if s.Args == args {
			return s.Impl(&module.ScanContext{Data: data}, root, vals)
		}
	}
	t.Fatalf("hash.%s has no overload %q", name, args)
	return module.Undef
}

func load(t *testing.T, data []byte) *module.Value {
	t.Helper()
	v, err := New().Load(&module.ScanContext{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

func TestKnownDigests(t *testing.T) {
	i, str := module.Int, func(s string) module.Value { return module.Str([]byte(s)) }
	data := []byte("xxabcyy")
	cases := []struct {
		fn, args string
		vals     []module.Value
		want     module.Value
	}{
		// Published test vectors for "abc".
		{"md5", "s", []module.Value{str("abc")}, str("900150983cd24fb0d6963f7d28e17f72")},
		{"sha1", "s", []module.Value{str("abc")}, str("a9993e364706816aba3e25717850c26c9cd0d89d")},
		{"sha256", "s", []module.Value{str("abc")}, str("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")},
		{"md5", "ii", []module.Value{i(2), i(3)}, str("900150983cd24fb0d6963f7d28e17f72")},
		{"sha1", "ii", []module.Value{i(2), i(3)}, str("a9993e364706816aba3e25717850c26c9cd0d89d")},
		{"sha256", "ii", []module.Value{i(2), i(3)}, str("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")},
		{"md5", "s", []module.Value{str("")}, str("d41d8cd98f00b204e9800998ecf8427e")},
		{"md5", "ii", []module.Value{i(0), i(0)}, str("d41d8cd98f00b204e9800998ecf8427e")},
		{"md5", "ii", []module.Value{i(7), i(0)}, module.Undef},
		{"md5", "ii", []module.Value{i(-1), i(3)}, module.Undef},
		{"md5", "ii", []module.Value{i(0), i(-3)}, module.Undef},
		// size past the end is clipped: "yy".
		{"md5", "ii", []module.Value{i(5), i(100)}, call(t, nil, nil, "md5", "s", str("yy"))},
		// CRC-32/IEEE check value of "123456789".
		{"crc32", "s", []module.Value{str("123456789")}, i(0xcbf43926)},
		{"crc32", "ii", []module.Value{i(7), i(1)}, module.Undef},
		{"checksum32", "s", []module.Value{str("\xff\xff\x01")}, i(0x1ff)},
		{"checksum32", "ii", []module.Value{i(2), i(3)}, i('a' + 'b' + 'c')},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s(%s)%v", c.fn, c.args, c.vals), func(t *testing.T) {
			got := call(t, load(t, data), data, c.fn, c.args, c.vals...)
			if reference.Format(got) != reference.Format(c.want) {
				t.Errorf("got %s, want %s", reference.Format(got), reference.Format(c.want))
			}
		})
	}
}

func TestRangeCache(t *testing.T) {
	data := []byte("0123456789")
	root := load(t, data)
	first := call(t, root, data, "sha256", "ii", module.Int(0), module.Int(10))
	// A cached digest is keyed by the arguments: changing the data behind
	// the same root must not be visible (one root is one scanned file).
	second := call(t, root, []byte("abcdefghij"), "sha256", "ii", module.Int(0), module.Int(10))
	if string(first.S) != string(second.S) {
		t.Errorf("cache miss for the same range: %s vs %s", first.S, second.S)
	}
	other := call(t, root, data, "md5", "ii", module.Int(0), module.Int(10))
	if len(other.S) != 32 {
		t.Errorf("md5 of cached range has %d hex digits, want 32 (cache keyed by algorithm)", len(other.S))
	}
}

func TestAgainstYara(t *testing.T) {
	reference.Yara(t)
	dir := t.TempDir()
	files := map[string][]byte{"text": []byte("hello, hash module\n"), "binary": {0, 1, 2, 0xff, 0xfe, 0x80}}
	if b, err := os.ReadFile("/bin/ls"); err == nil {
		files["ls"] = b
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			n := int64(len(data))
			root := load(t, data)
			type expr struct {
				fn, args, text string
				vals           []module.Value
			}
			var exprs []expr
			for _, fn := range []string{"md5", "sha1", "sha256", "crc32", "checksum32"} {
				exprs = append(exprs,
					expr{fn, "ii", "0, filesize", []module.Value{module.Int(0), module.Int(n)}},
					expr{fn, "ii", "1, 3", []module.Value{module.Int(1), module.Int(3)}},
					expr{fn, "ii", "filesize, 1", []module.Value{module.Int(n), module.Int(1)}},
					expr{fn, "s", `"a\x00\xffb"`, []module.Value{module.Str([]byte("a\x00\xffb"))}})
			}
			var rule strings.Builder
			rule.WriteString("import \"hash\"\nimport \"console\"\nrule r { condition: true")
			var want []string
			for k, e := range exprs {
				fmt.Fprintf(&rule, "\n and (console.log(\"%d=\", hash.%s(%s)) or console.log(\"%d=undef\"))", k, e.fn, e.text, k)
				got := call(t, root, data, e.fn, e.args, e.vals...)
				switch {
				case got.Undefined:
					want = append(want, fmt.Sprintf("%d=undef", k))
				case got.Kind == module.KindString:
					want = append(want, fmt.Sprintf("%d=%s", k, got.S))
				default:
					want = append(want, fmt.Sprintf("%d=%d", k, got.I))
				}
			}
			rule.WriteString("\n}\n")
			lines := reference.Console(t, rule.String(), path)
			want = append(want, "r "+path)
			if g, w := strings.Join(lines, "\n"), strings.Join(want, "\n"); g != w {
				t.Errorf("yara:\n%s\nmedshield:\n%s", g, w)
			}
		})
	}
}
