package pe

import "github.com/medshield/medshield/internal/yara/module"

// Schema construction helpers.

var (
	tInt = &module.Type{Kind: module.KindInteger}
	tStr = &module.Type{Kind: module.KindString}
)

func field(name string, t *module.Type) module.Field { return module.Field{Name: name, Type: t} }

func structOf(fields ...module.Field) *module.Type {
	return &module.Type{Kind: module.KindStruct, Fields: fields}
}

func arrayOf(t *module.Type) *module.Type { return &module.Type{Kind: module.KindArray, Elem: t} }

func dictOf(t *module.Type) *module.Type { return &module.Type{Kind: module.KindDict, Elem: t} }

func fn(sigs ...*module.Signature) *module.Type {
	return &module.Type{Kind: module.KindFunc, Funcs: sigs}
}

func sig(args string, res module.Kind, impl func(*module.ScanContext, *module.Value, []module.Value) module.Value) *module.Signature {
	return &module.Signature{Args: args, Result: res, Impl: impl}
}

// skeleton returns a value of type t in which every struct, array and
// dictionary exists (empty) and every scalar is absent (undefined), which is
// how YARA's object tree looks before a module sets anything.
func skeleton(t *module.Type) module.Value {
	switch t.Kind {
	case module.KindStruct:
		v := module.Value{Kind: module.KindStruct, Fields: make(map[string]module.Value, len(t.Fields))}
		for _, f := range t.Fields {
			switch f.Type.Kind {
			case module.KindStruct, module.KindArray, module.KindDict:
				v.Fields[f.Name] = skeleton(f.Type)
			}
		}
		return v
	case module.KindArray:
		return module.Value{Kind: module.KindArray}
	case module.KindDict:
		return module.Value{Kind: module.KindDict, Dict: map[string]module.Value{}}
	}
	return module.Undef
}

// obj is a struct value under construction.
type obj map[string]module.Value

func (o obj) setInt(name string, v int64)  { o[name] = module.Int(v) }
func (o obj) setStr(name string, b []byte) { o[name] = module.Str(append([]byte(nil), b...)) }
func (o obj) value() module.Value          { return module.Value{Kind: module.KindStruct, Fields: o} }
func (o obj) sub(name string) obj          { return obj(o[name].Fields) }
func (o obj) setSub(name, member string, v int64) {
	o.sub(name).setInt(member, v)
}

// yrUndefined is YARA's YR_UNDEFINED sentinel as an integer; a few YARA
// functions use it arithmetically when they read an undefined field.
const yrUndefined = int64(-0x5452505452501) // 0xFFFABADAFABADAFF
