package modules

import (
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
)

// TestList checks that every module is listed once and honours the
// contract on inputs of every kind: a root struct whose fields match the
// schema's kinds, and no error or panic on junk.
func TestList(t *testing.T) {
	want := map[string]bool{"pe": true, "elf": true, "math": true, "hash": true, "time": true, "console": true}
	seen := map[string]bool{}
	inputs := [][]byte{nil, []byte("MZ"), []byte("\x7fELF\x02\x01"), make([]byte, 4096)}
	for _, m := range List() {
		if seen[m.Name()] {
			t.Errorf("module %q listed twice", m.Name())
		}
		seen[m.Name()] = true
		s := m.Schema()
		if s == nil || s.Kind != module.KindStruct || len(s.Fields) == 0 {
			t.Fatalf("%s: schema is not a non-empty struct", m.Name())
		}
		for _, in := range inputs {
			v, err := m.Load(&module.ScanContext{Data: in})
			if err != nil {
				t.Errorf("%s: Load: %v", m.Name(), err)
				continue
			}
			if v.Kind != module.KindStruct || v.Undefined {
				t.Errorf("%s: root is %v (undefined %v), want a struct", m.Name(), v.Kind, v.Undefined)
			}
			for name, f := range v.Fields {
				ft := s.Lookup(name)
				if ft == nil {
					t.Errorf("%s: Load set %q, which the schema does not declare", m.Name(), name)
					continue
				}
				if !f.Undefined && f.Kind != ft.Kind {
					t.Errorf("%s.%s: value kind %v, schema kind %v", m.Name(), name, f.Kind, ft.Kind)
				}
			}
			for _, fd := range s.Fields {
				if fd.Type.Kind == module.KindFunc {
					for _, sig := range fd.Type.Funcs {
						if sig.Impl == nil {
							t.Errorf("%s.%s(%s) has no implementation", m.Name(), fd.Name, sig.Args)
						}
					}
				}
			}
		}
	}
	for n := range want {
		if !seen[n] {
			t.Errorf("module %q not listed", n)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("listed %d modules, want %d", len(seen), len(want))
	}
}
