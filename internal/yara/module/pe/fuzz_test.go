package pe

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// FuzzLoad feeds arbitrary bytes to the parser and calls every function:
// nothing may panic. Seeds: the generated PEs and the PE files on this
// machine. Run: go test -run '^$' -fuzz FuzzLoad ./internal/yara/module/pe/
func FuzzLoad(f *testing.F) {
	for _, is64 := range []bool{false, true} {
		s := testSpec
		s.is64 = is64
		f.Add(buildPE(s))
	}
	seeds := realPEs()
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
		root, err := m.Load(&module.ScanContext{Data: data})
		if err != nil {
			t.Fatal(err)
		}
		callAll(&root, m.Schema())
	})
}

// callAll calls every function of t reachable from v with fixed arguments.
func callAll(v *module.Value, t *module.Type) {
	for _, f := range t.Fields {
		switch f.Type.Kind {
		case module.KindFunc:
			for _, s := range f.Type.Funcs {
				args := make([]module.Value, len(s.Args))
				for i, c := range s.Args {
					switch c {
					case 's':
						args[i] = module.Str([]byte("kernel32.dll"))
					case 'r':
						args[i] = module.Value{Re: reAny{}}
					default:
						args[i] = module.Int(1)
					}
				}
				s.Impl(&module.ScanContext{}, v, args)
			}
		case module.KindStruct:
			sub := v.Get(f.Name)
			callAll(&sub, f.Type)
		case module.KindArray:
			for _, it := range v.Get(f.Name).Items {
				if f.Type.Elem.Kind == module.KindStruct {
					callAll(&it, f.Type.Elem)
				}
			}
		}
	}
}

type reAny struct{}

func (reAny) Match([]byte) bool { return true }
