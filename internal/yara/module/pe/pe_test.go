package pe

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
)

var testSpec = peSpec{
	machine:   0x14c,
	timestamp: 0x5f5e1000,
	richKey:   0x1234abcd,
	rich:      [][2]uint32{{0x00930000 | 30729, 3}, {0x00010000, 7}, {0x00930000 | 30729, 2}},
	imports: []impSpec{
		{dll: "KERNEL32.dll", names: []string{"CreateFileA", "ExitProcess"}},
		{dll: "WS2_32.dll", ordinals: []uint16{3, 4, 999}},
	},
	exports: []string{"Alpha", "Beta"},
	pdb:     `C:\build\test.pdb`,
	version: [][2]string{{"CompanyName", "Medshield"}, {"FileVersion", "1.2.3"}},
	overlay: []byte("OVERLAY!"),
}

type reRegexp struct{ *regexp.Regexp }

func (r reRegexp) Match(b []byte) bool { return r.Regexp.Match(b) }

func load(t testing.TB, data []byte) module.Value {
	t.Helper()
	v, err := New().Load(&module.ScanContext{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// get walks a dotted path with [i] indexes and ["key"] dictionary keys.
func get(v module.Value, path string) module.Value {
	var name string
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			var end int
			for end = 1; end < len(path) && path[end] != ']'; end++ {
			}
			key := path[1:end]
			path = path[end+1:]
			if key[0] == '"' {
				v = v.Dict[key[1:len(key)-1]]
				continue
			}
			var i int
			fmt.Sscan(key, &i)
			if i >= len(v.Items) {
				return module.Undef
			}
			v = v.Items[i]
		default:
			end := 0
			for end < len(path) && path[end] != '.' && path[end] != '[' {
				end++
			}
			name, path = path[:end], path[end:]
			v = v.Get(name)
		}
	}
	return v
}

// call invokes the function at path (e.g. "rich_signature.version") with
// the overload matching args.
func call(t testing.TB, root module.Value, path, sigArgs string, a ...module.Value) module.Value {
	t.Helper()
	typ := New().Schema()
	self := root
	parts := []string{path}
	if i := lastDot(path); i >= 0 {
		parts = []string{path[:i], path[i+1:]}
		self = get(root, parts[0])
		for _, name := range splitPath(parts[0]) {
			typ = typ.Lookup(name)
			if typ != nil && typ.Kind == module.KindArray {
				typ = typ.Elem
			}
		}
	}
	ft := typ.Lookup(parts[len(parts)-1])
	if ft == nil {
		t.Fatalf("no function %s", path)
	}
	for _, s := range ft.Funcs {
		if s.Args == sigArgs {
			return s.Impl(&module.ScanContext{}, &self, a)
		}
	}
	t.Fatalf("no overload %s(%s)", path, sigArgs)
	return module.Undef
}

// splitPath returns the member names of a path, without indexes.
func splitPath(p string) []string {
	var out []string
	for _, part := range strings.Split(p, ".") {
		if i := strings.IndexByte(part, '['); i >= 0 {
			part = part[:i]
		}
		out = append(out, part)
	}
	return out
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

var (
	I = module.Int
	S = func(s string) module.Value { return module.Str([]byte(s)) }
	R = func(expr string) module.Value { return module.Value{Re: reRegexp{regexp.MustCompile(expr)}} }
)

func wantInt(t *testing.T, name string, got module.Value, want int64) {
	t.Helper()
	if got.Undefined || got.Kind != module.KindInteger || got.I != want {
		t.Errorf("%s = %+v, want %d", name, got, want)
	}
}

func wantStr(t *testing.T, name string, got module.Value, want string) {
	t.Helper()
	if got.Undefined || string(got.S) != want {
		t.Errorf("%s = %q (undefined %v), want %q", name, got.S, got.Undefined, want)
	}
}

func TestGeneratedPE(t *testing.T) {
	for _, is64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("64bit=%v", is64), func(t *testing.T) {
			spec := testSpec
			spec.is64 = is64
			spec.dll = is64
			data := buildPE(spec)
			v := load(t, data)
			wantInt(t, "is_pe", v.Get("is_pe"), 1)
			wantInt(t, "machine", v.Get("machine"), 0x14c)
			wantInt(t, "timestamp", v.Get("timestamp"), int64(spec.timestamp))
			wantInt(t, "number_of_sections", v.Get("number_of_sections"), 3)
			wantInt(t, "entry_point", v.Get("entry_point"), textRaw+0x10)
			wantInt(t, "entry_point_raw", v.Get("entry_point_raw"), textRVA+0x10)
			wantInt(t, "subsystem", v.Get("subsystem"), 3)
			wantInt(t, "linker_version.major", get(v, "linker_version.major"), 14)
			wantStr(t, "sections[1].name", get(v, "sections[1].name"), ".rdata")
			wantInt(t, "sections[2].raw_data_offset", get(v, "sections[2].raw_data_offset"), rsrcRaw)
			wantInt(t, "overlay.offset", get(v, "overlay.offset"), rsrcRaw+secRawSize)
			wantInt(t, "overlay.size", get(v, "overlay.size"), int64(len(spec.overlay)))
			wantInt(t, "is_32bit()", call(t, v, "is_32bit", ""), map[bool]int64{false: 1, true: 0}[is64])
			wantInt(t, "is_64bit()", call(t, v, "is_64bit", ""), map[bool]int64{false: 0, true: 1}[is64])
			wantInt(t, "is_dll()", call(t, v, "is_dll", ""), map[bool]int64{false: 0, true: 0x2000}[is64])
			if is64 {
				wantInt(t, "image_base", v.Get("image_base"), 0x140000000)
				if !v.Get("base_of_data").Undefined {
					t.Error("base_of_data is defined for PE32+")
				}
			} else {
				wantInt(t, "image_base", v.Get("image_base"), imageBase32)
				wantInt(t, "base_of_data", v.Get("base_of_data"), rdataRVA)
			}

			// Imports.
			wantInt(t, "number_of_imports", v.Get("number_of_imports"), 2)
			wantInt(t, "number_of_imported_functions", v.Get("number_of_imported_functions"), 5)
			wantInt(t, `imports("kernel32.DLL", "createfilea")`, call(t, v, "imports", "ss", S("kernel32.DLL"), S("createfilea")), 1)
			wantInt(t, `imports("kernel32.dll", "Missing")`, call(t, v, "imports", "ss", S("kernel32.dll"), S("Missing")), 0)
			wantInt(t, `imports("ws2_32.dll", 4)`, call(t, v, "imports", "si", S("ws2_32.dll"), I(4)), 1)
			wantInt(t, `imports("ws2_32.dll", "connect")`, call(t, v, "imports", "ss", S("ws2_32.dll"), S("connect")), 1)
			wantInt(t, `imports("ws2_32.dll")`, call(t, v, "imports", "s", S("ws2_32.dll")), 3)
			wantInt(t, `imports(/kernel32/i, /^(Create|Exit)/)`, call(t, v, "imports", "rr", R("(?i)kernel32"), R("^(Create|Exit)")), 2)
			wantInt(t, `imports(IMPORT_DELAYED, "kernel32.dll", "ExitProcess")`, call(t, v, "imports", "iss", I(2), S("kernel32.dll"), S("ExitProcess")), 0)
			wantInt(t, `imports(IMPORT_ANY, "kernel32.dll", "ExitProcess")`, call(t, v, "imports", "iss", I(-1), S("kernel32.dll"), S("ExitProcess")), 1)
			wantStr(t, "import_details[0].library_name", get(v, "import_details[0].library_name"), "KERNEL32.dll")
			wantStr(t, "import_details[1].functions[2].name", get(v, "import_details[1].functions[2].name"), "closesocket")
			wantInt(t, "import_details[1].functions[2].ordinal", get(v, "import_details[1].functions[2].ordinal"), 3)
			wantStr(t, "import_details[1].functions[4].name", get(v, "import_details[1].functions[4].name"), "ord999")
			// YARA's cumulative numbering, reproduced.
			wantInt(t, "import_details[1].number_of_functions", get(v, "import_details[1].number_of_functions"), 5)
			if !get(v, "import_details[1].functions[0].name").Undefined {
				t.Error("import_details[1].functions[0] should be undefined (YARA's cumulative index)")
			}
			sum := md5.Sum([]byte("kernel32.createfilea,kernel32.exitprocess,ws2_32.closesocket,ws2_32.connect,ws2_32.ord999"))
			wantStr(t, "imphash()", call(t, v, "imphash", ""), hex.EncodeToString(sum[:]))

			// Exports.
			wantInt(t, "number_of_exports", v.Get("number_of_exports"), 3)
			wantStr(t, "dll_name", v.Get("dll_name"), "test.dll")
			wantInt(t, "export_timestamp", v.Get("export_timestamp"), 0x5eed)
			wantInt(t, `exports("beta")`, call(t, v, "exports", "s", S("beta")), 1)
			wantInt(t, `exports("Gamma")`, call(t, v, "exports", "s", S("Gamma")), 0)
			wantInt(t, `exports(/^Al/)`, call(t, v, "exports", "r", R("^Al")), 1)
			wantInt(t, `exports(2)`, call(t, v, "exports", "i", I(2)), 1)
			wantInt(t, `exports(4)`, call(t, v, "exports", "i", I(4)), 0)
			wantInt(t, `exports_index("Beta")`, call(t, v, "exports_index", "s", S("Beta")), 1)
			wantStr(t, "export_details[2].forward_name", get(v, "export_details[2].forward_name"), "NTDLL.RtlFoo")
			wantInt(t, "export_details[0].offset", get(v, "export_details[0].offset"), textRaw+0x10)
			wantInt(t, "export_details[1].ordinal", get(v, "export_details[1].ordinal"), 2)

			// Debug, Rich header, resources, version info.
			wantStr(t, "pdb_path", v.Get("pdb_path"), spec.pdb)
			wantInt(t, "rich_signature.offset", get(v, "rich_signature.offset"), 0x40)
			wantInt(t, "rich_signature.key", get(v, "rich_signature.key"), int64(spec.richKey))
			wantInt(t, "rich_signature.length", get(v, "rich_signature.length"), 16+8*3)
			wantStr(t, "rich_signature.clear_data[0:4]", module.Str(get(v, "rich_signature.clear_data").S[:4]), "DanS")
			wantInt(t, "rich_signature.version(30729)", call(t, v, "rich_signature.version", "i", I(30729)), 5)
			wantInt(t, "rich_signature.toolid(0x93, 30729)", call(t, v, "rich_signature.toolid", "ii", I(0x93), I(30729)), 5)
			wantInt(t, "rich_signature.toolid(1)", call(t, v, "rich_signature.toolid", "i", I(1)), 7)
			wantInt(t, "number_of_resources", v.Get("number_of_resources"), 2)
			wantStr(t, "resources[0].type_string", get(v, "resources[0].type_string"), string(wide("MYTYPE")[:12]))
			wantInt(t, "resources[1].type", get(v, "resources[1].type"), 16)
			wantInt(t, "resources[1].language", get(v, "resources[1].language"), 1033)
			wantInt(t, "locale(1033)", call(t, v, "locale", "i", I(1033)), 1)
			wantInt(t, "language(9)", call(t, v, "language", "i", I(9)), 1)
			wantInt(t, "language(7)", call(t, v, "language", "i", I(7)), 0)
			wantStr(t, `version_info["CompanyName"]`, get(v, `version_info["CompanyName"]`), "Medshield")
			wantStr(t, `version_info["FileVersion"]`, get(v, `version_info["FileVersion"]`), "1.2.3")
			wantInt(t, "number_of_version_infos", v.Get("number_of_version_infos"), 2)
			wantStr(t, "version_info_list[1].key", get(v, "version_info_list[1].key"), "FileVersion")

			// Helpers.
			wantInt(t, "rva_to_offset(text+0x10)", call(t, v, "rva_to_offset", "i", I(textRVA+0x10)), textRaw+0x10)
			if got := call(t, v, "rva_to_offset", "i", I(0x900000)); !got.Undefined {
				t.Errorf("rva_to_offset(unmapped) = %+v, want undefined", got)
			}
			wantInt(t, `section_index(".rsrc")`, call(t, v, "section_index", "s", S(".rsrc")), 2)
			wantInt(t, "section_index(text raw + 1)", call(t, v, "section_index", "i", I(textRaw+1)), 0)
			wantInt(t, "calculate_checksum()", call(t, v, "calculate_checksum", ""), refChecksum(data, int(get(v, "opthdr_magic").I)))
		})
	}
}

// refChecksum is the usual PE checksum over 16-bit words, written
// independently of calculateChecksum (valid for even lengths).
func refChecksum(data []byte, _ int) int64 {
	csumOff := int(uint32(data[0x3c])|uint32(data[0x3d])<<8) + 24 + 64
	var sum uint32
	for i := 0; i+1 < len(data); i += 2 {
		if i == csumOff || i == csumOff+2 {
			continue
		}
		sum += uint32(data[i]) | uint32(data[i+1])<<8
		sum = (sum & 0xffff) + sum>>16
	}
	sum = (sum & 0xffff) + sum>>16
	return int64(sum) + int64(len(data))
}

func TestNotPE(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("hello world, this is not a PE file at all, not even close."),
		"mz only":   append([]byte("MZ"), make([]byte, 200)...),
		"elf":       append([]byte("\x7fELF"), make([]byte, 200)...),
		"truncated": buildPE(testSpec)[:0x120],
	} {
		t.Run(name, func(t *testing.T) {
			v := load(t, data)
			wantInt(t, "is_pe", v.Get("is_pe"), 0)
			wantInt(t, "MACHINE_AMD64", v.Get("MACHINE_AMD64"), 0x8664)
			wantInt(t, "IMPORT_ANY", v.Get("IMPORT_ANY"), -1)
			for _, f := range []string{"machine", "number_of_sections", "entry_point"} {
				if !v.Get(f).Undefined {
					t.Errorf("%s defined for a non-PE", f)
				}
			}
			for _, fn := range []struct{ name, args string }{{"is_dll", ""}, {"is_32bit", ""}, {"imphash", ""}, {"calculate_checksum", ""}} {
				if got := call(t, v, fn.name, fn.args); !got.Undefined {
					t.Errorf("%s() = %+v on a non-PE, want undefined", fn.name, got)
				}
			}
			if got := call(t, v, "imports", "ss", S("a"), S("b")); !got.Undefined {
				t.Errorf("imports() = %+v on a non-PE, want undefined", got)
			}
			if n := len(v.Get("sections").Items); n != 0 {
				t.Errorf("sections has %d items on a non-PE", n)
			}
		})
	}
}

// TestTruncations loads every prefix of a generated PE: nothing may panic
// and the file stays a PE as long as its headers fit.
func TestTruncations(t *testing.T) {
	data := buildPE(testSpec)
	headers := 0x100 + 24 + 224
	for n := 0; n <= len(data); n += 7 {
		v := load(t, data[:n])
		want := int64(0)
		if n >= headers {
			want = 1
		}
		if got := v.Get("is_pe").I; got != want {
			t.Fatalf("prefix %d: is_pe = %d, want %d", n, got, want)
		}
	}
}
