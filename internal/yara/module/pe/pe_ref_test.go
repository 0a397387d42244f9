package pe

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// realPEs lists distinct PE files found on this machine: Go's debug/pe test
// data (always there with a Go toolchain) and Windows launchers shipped by
// installed Python packages and Go modules, when present.
func realPEs() []string {
	var out []string
	seen := map[[32]byte]bool{}
	goroot := runtime.GOROOT()
	for _, pat := range []string{
		filepath.Join(goroot, "src/debug/pe/testdata/*"),
		"/root/go/pkg/mod/golang.org/x/sys@*/windows/testdata/*.exe",
		"/root/.pyenv/versions/*/lib/python*/site-packages/pip/_vendor/distlib/*.exe",
		"/root/.pyenv/versions/*/lib/python*/site-packages/setuptools/*.exe",
		"/usr/lib/python3/dist-packages/setuptools/*.exe",
		"/usr/lib/python3/dist-packages/pip/_vendor/distlib/*.exe",
	} {
		m, _ := filepath.Glob(pat)
		for _, p := range m {
			data, err := os.ReadFile(p)
			if err != nil || strings.HasSuffix(p, ".c") || len(data) > 64<<20 {
				continue
			}
			if h := sha256.Sum256(data); !seen[h] {
				seen[h] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// generatedPEs writes the test builder's PEs and some damaged copies.
func generatedPEs(t testing.TB) []string {
	dir := t.TempDir()
	var out []string
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	for _, is64 := range []bool{false, true} {
		s := testSpec
		s.is64, s.dll = is64, is64
		data := buildPE(s)
		write(fmt.Sprintf("gen%v.exe", is64), data)
		for _, cut := range []int{0x180, 0x400, 0xc10, 0x1000, 0x1480} {
			write(fmt.Sprintf("gen%v_cut%x.exe", is64, cut), data[:cut])
		}
	}
	signed, _, _, _ := signedPE(t)
	write("signed.exe", signed)
	return out
}

func loadFile(t testing.TB, path string) module.Value {
	t.Helper()
	return reference.LoadFile(t, New(), path)
}

// TestDumpAgainstYara compares every field yara -D prints with ours, on
// generated PEs, the corpus' synthetic PEs (valid and malformed) and the real
// PE files on this machine.
func TestDumpAgainstYara(t *testing.T) {
	reference.Yara(t)
	files := append(generatedPEs(t), realPEs()...)
	files = append(files, reference.ExtraSamples("MEDSHIELD_PE_SAMPLES")...)
	if dir := corpus.Dir(t, "yara"); dir != "" {
		files = append(files, reference.Synthetic(t, dir, "pe")...)
		files = append(files, reference.ConformanceBlobs(t, dir)...)
	}
	reference.CompareDumps(t, New(), files)
}

// TestFunctionsAgainstYara evaluates the pe functions with yara (printing
// them with console.log) and with our module.
func TestFunctionsAgainstYara(t *testing.T) {
	reference.Yara(t)
	files := append(generatedPEs(t)[:1], realPEs()...)
	type fcall struct {
		path, sig, text string
		args            []module.Value
	}
	calls := []fcall{
		{"imphash", "", "", nil},
		{"calculate_checksum", "", "", nil},
		{"is_dll", "", "", nil},
		{"is_32bit", "", "", nil},
		{"rva_to_offset", "i", "pe.entry_point_raw", nil}, // args filled per file
		{"rva_to_offset", "i", "0x1000", []module.Value{I(0x1000)}},
		{"section_index", "s", `".text"`, []module.Value{S(".text")}},
		{"section_index", "s", `".rsrc"`, []module.Value{S(".rsrc")}},
		{"section_index", "i", "pe.entry_point", nil},
		{"imports", "ss", `"kernel32.dll", "GetProcAddress"`, []module.Value{S("kernel32.dll"), S("GetProcAddress")}},
		{"imports", "s", `"KERNEL32.DLL"`, []module.Value{S("KERNEL32.DLL")}},
		{"imports", "si", `"ws2_32.dll", 4`, []module.Value{S("ws2_32.dll"), I(4)}},
		{"exports", "s", `"Alpha"`, []module.Value{S("Alpha")}},
		{"exports", "i", "1", []module.Value{I(1)}},
		{"exports_index", "i", "2", []module.Value{I(2)}},
		{"locale", "i", "1033", []module.Value{I(1033)}},
		{"language", "i", "0", []module.Value{I(0)}},
		{"rich_signature.version", "i", "30729", []module.Value{I(30729)}},
		{"rich_signature.toolid", "i", "1", []module.Value{I(1)}},
		{"rich_signature.toolid", "ii", "0x93, 30729", []module.Value{I(0x93), I(30729)}},
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			root := loadFile(t, path)
			var rule strings.Builder
			rule.WriteString("import \"pe\"\nimport \"console\"\nrule r { condition: true")
			var want []string
			for k, c := range calls {
				args := c.args
				if args == nil && c.sig == "i" {
					args = []module.Value{root.Get(strings.TrimPrefix(c.text, "pe."))}
				}
				fmt.Fprintf(&rule, "\n and (console.log(\"%d=\", pe.%s(%s)) or console.log(\"%d=undef\"))", k, c.path, c.text, k)
				got := module.Undef
				if len(args) == 0 || !args[0].Undefined {
					got = call(t, root, c.path, c.sig, args...)
				}
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
