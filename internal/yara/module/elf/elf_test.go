package elf

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

func load(t testing.TB, data []byte) module.Value {
	t.Helper()
	v, err := New().Load(&module.ScanContext{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func item(v module.Value, arr string, i int) *module.Value {
	items := v.Get(arr).Items
	if i >= len(items) {
		return &module.Value{Undefined: true}
	}
	return &items[i]
}

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

func TestGeneratedELF(t *testing.T) {
	for _, s := range testSpecs {
		t.Run(fmt.Sprintf("64=%v big=%v type=%d", s.is64, s.big, s.typ), func(t *testing.T) {
			v := load(t, buildELF(s))
			wantInt(t, "type", v.Get("type"), int64(s.typ))
			wantInt(t, "machine", v.Get("machine"), int64(s.machine))
			wantInt(t, "number_of_sections", v.Get("number_of_sections"), 7)
			wantInt(t, "number_of_segments", v.Get("number_of_segments"), 2)
			if s.entry == 0 {
				if !v.Get("entry_point").Undefined {
					t.Error("entry_point defined for a zero entry")
				}
			} else {
				// ET_EXEC maps through PT_LOAD (file offset = address - 0x400000),
				// others through .text (offset textOff at textAddr): same here.
				wantInt(t, "entry_point", v.Get("entry_point"), int64(s.entry-0x400000))
			}
			wantStr(t, "sections[1].name", item(v, "sections", 1).Get("name"), ".text")
			wantInt(t, "sections[1].address", item(v, "sections", 1).Get("address"), textAddr)
			wantInt(t, "sections[1].flags", item(v, "sections", 1).Get("flags"), 6)
			wantStr(t, "sections[0].name", item(v, "sections", 0).Get("name"), "")
			wantInt(t, "segments[1].type", item(v, "segments", 1).Get("type"), 2)
			wantInt(t, "segments[0].flags", item(v, "segments", 0).Get("flags"), 5)
			wantInt(t, "dynamic_section_entries", v.Get("dynamic_section_entries"), 3)
			wantInt(t, "dynamic[1].type", item(v, "dynamic", 1).Get("type"), 10)
			wantInt(t, "dynamic[1].val", item(v, "dynamic", 1).Get("val"), 0x20)
			wantInt(t, "symtab_entries", v.Get("symtab_entries"), int64(len(s.syms)+1))
			wantInt(t, "dynsym_entries", v.Get("dynsym_entries"), int64(len(s.syms)+1))
			for i, name := range s.syms {
				sym := item(v, "symtab", i+1)
				wantStr(t, "symtab name", sym.Get("name"), name)
				wantInt(t, "symtab bind", sym.Get("bind"), 1)
				wantInt(t, "symtab type", sym.Get("type"), 2)
				wantInt(t, "symtab value", sym.Get("value"), textAddr+int64(i+1))
				wantStr(t, "dynsym name", item(v, "dynsym", i+1).Get("name"), name)
			}
			if !item(v, "symtab", 0).Get("name").Undefined && string(item(v, "symtab", 0).Get("name").S) != "" {
				t.Error("symbol 0 should have the empty name")
			}
			wantInt(t, "ET_EXEC", v.Get("ET_EXEC"), 2)
			wantInt(t, "SHF_EXECINSTR", v.Get("SHF_EXECINSTR"), 4)
		})
	}
}

func TestNotELF(t *testing.T) {
	full := buildELF(testSpecs[0])
	for name, data := range map[string][]byte{
		"empty":       nil,
		"magic only":  []byte("\x7fELF"),
		"header only": full[:52],
		"bad class":   append([]byte("\x7fELF\x03\x01"), make([]byte, 100)...),
		"pe":          append([]byte("MZ"), make([]byte, 100)...),
	} {
		t.Run(name, func(t *testing.T) {
			v := load(t, data)
			if !v.Get("type").Undefined || !v.Get("number_of_sections").Undefined {
				t.Errorf("header fields defined for a non-ELF: %+v", v.Get("type"))
			}
			wantInt(t, "EM_X86_64", v.Get("EM_X86_64"), 62)
			if n := len(v.Get("sections").Items); n != 0 {
				t.Errorf("%d sections for a non-ELF", n)
			}
		})
	}
}

// TestDamagedTables covers the YARA checks on table bounds: sections past
// the end, a string table that does not start with NUL, a dynamic section
// without DT_NULL.
func TestDamagedTables(t *testing.T) {
	s := testSpecs[1]
	data := buildELF(s)
	cut := data[:0x880] // section table cut: sections dropped, segments kept
	v := load(t, cut)
	if n := len(v.Get("sections").Items); n != 0 {
		t.Errorf("%d sections from a truncated section table", n)
	}
	wantInt(t, "number_of_segments", v.Get("number_of_segments"), 2)
	wantInt(t, "number_of_sections", v.Get("number_of_sections"), 7)

	bad := append([]byte(nil), data...)
	bad[0x400] = 'X' // .shstrtab must start with NUL
	v = load(t, bad)
	if name := item(v, "sections", 1).Get("name"); !name.Undefined {
		t.Errorf("section name %q from a string table without a leading NUL", name.S)
	}
	noNull := append([]byte(nil), data...)
	for i := dynOff + 32; i < dynOff+48; i++ {
		noNull[i] = 0xff // DT_NULL overwritten: the walk runs on to the next NUL tag
	}
	v = load(t, noNull)
	if n := v.Get("dynamic_section_entries").I; n <= 3 {
		t.Errorf("dynamic_section_entries = %d, want > 3 without DT_NULL", n)
	}
}

// FuzzLoad: nothing may panic on any input. Seeds: generated ELFs and the
// ELF files of this machine. Run: go test -run '^$' -fuzz FuzzLoad ./internal/yara/module/elf/
func FuzzLoad(f *testing.F) {
	for _, s := range testSpecs {
		f.Add(buildELF(s))
	}
	seeds := realELFs()
	if root := corpus.Root(); root != "" {
		seeds = append(seeds, reference.ConformanceBlobs(f, filepath.Join(root, "yara"))...)
	}
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 { // small seeds keep the fuzzer fast
			f.Add(data)
		}
	}
	m := New()
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := m.Load(&module.ScanContext{Data: data}); err != nil {
			t.Fatal(err)
		}
	})
}
