package yara

import (
	"bytes"

	"github.com/medshield/medshield/internal/yara/module"
)

// testsModule re-creates YARA's test-only "tests" module (libyara/modules/
// tests/tests.c) so that the conformance cases for module plumbing (arrays
// with holes, dictionaries, struct arrays, overloaded functions, regexp
// arguments) run through this engine. It exists only in tests.
type testsModule struct{}

func (testsModule) Name() string { return "tests" }

func tFn(args string, res module.Kind, f func(*module.ScanContext, *module.Value, []module.Value) module.Value) *module.Signature {
	return &module.Signature{Args: args, Result: res, Impl: f}
}

func (testsModule) Schema() *module.Type {
	I := &module.Type{Kind: module.KindInteger}
	F := &module.Type{Kind: module.KindFloat}
	S := &module.Type{Kind: module.KindString}
	st := func(fields ...module.Field) *module.Type {
		return &module.Type{Kind: module.KindStruct, Fields: fields}
	}
	arr := func(e *module.Type) *module.Type { return &module.Type{Kind: module.KindArray, Elem: e} }
	dict := func(e *module.Type) *module.Type { return &module.Type{Kind: module.KindDict, Elem: e} }
	fn := func(sigs ...*module.Signature) *module.Type { return &module.Type{Kind: module.KindFunc, Funcs: sigs} }
	is := st(module.Field{Name: "i", Type: I}, module.Field{Name: "s", Type: S})
	return st(
		module.Field{Name: "constants", Type: st(module.Field{Name: "one", Type: I}, module.Field{Name: "two", Type: I}, module.Field{Name: "foo", Type: S}, module.Field{Name: "empty", Type: S})},
		module.Field{Name: "undefined", Type: st(module.Field{Name: "i", Type: I}, module.Field{Name: "f", Type: F})},
		module.Field{Name: "module_data", Type: S},
		module.Field{Name: "integer_array", Type: arr(I)},
		module.Field{Name: "string_array", Type: arr(S)},
		module.Field{Name: "integer_dict", Type: dict(I)},
		module.Field{Name: "string_dict", Type: dict(S)},
		module.Field{Name: "struct_array", Type: arr(is)},
		module.Field{Name: "struct_dict", Type: dict(is)},
		module.Field{Name: "empty_struct_dict", Type: dict(st(module.Field{Name: "unused", Type: I}))},
		module.Field{Name: "empty_struct_array", Type: arr(st(
			module.Field{Name: "struct_array", Type: arr(st(module.Field{Name: "unused", Type: S}))},
			module.Field{Name: "struct_dict", Type: dict(st(module.Field{Name: "unused", Type: S}))}))},
		module.Field{Name: "match", Type: fn(tFn("rs", module.KindInteger, func(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
			if r, ok := a[0].Re.(interface{ MatchLen([]byte) int }); ok {
				return module.Int(int64(r.MatchLen(a[1].S)))
			}
			return module.Undef
		}))},
		module.Field{Name: "isum", Type: fn(
			tFn("ii", module.KindInteger, func(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
				return module.Int(a[0].I + a[1].I)
			}),
			tFn("iii", module.KindInteger, func(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
				return module.Int(a[0].I + a[1].I + a[2].I)
			}))},
		module.Field{Name: "fsum", Type: fn(
			tFn("ff", module.KindFloat, func(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
				return module.Float(a[0].F + a[1].F)
			}),
			tFn("fff", module.KindFloat, func(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
				return module.Float(a[0].F + a[1].F + a[2].F)
			}))},
		module.Field{Name: "length", Type: fn(tFn("s", module.KindInteger, func(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
			s := a[0].S
			if i := bytes.IndexByte(s, 0); i >= 0 { // strlen
				s = s[:i]
			}
			return module.Int(int64(len(s)))
		}))},
		module.Field{Name: "empty", Type: fn(tFn("", module.KindString, func(*module.ScanContext, *module.Value, []module.Value) module.Value { return module.Str([]byte{}) }))},
		module.Field{Name: "foobar", Type: fn(tFn("i", module.KindString, func(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
			switch a[0].I {
			case 1:
				return module.Str([]byte("foo"))
			case 2:
				return module.Str([]byte("bar"))
			}
			return module.Str([]byte("oops"))
		}))},
	)
}

func (testsModule) Load(sc *module.ScanContext) (module.Value, error) {
	str := func(s string) module.Value { return module.Str([]byte(s)) }
	ints := make([]module.Value, 257)
	for i := range ints {
		ints[i] = module.Undef
	}
	ints[0], ints[1], ints[2], ints[256] = module.Int(0), module.Int(1), module.Int(2), module.Int(256)
	structOf := func(f map[string]module.Value) module.Value { return module.Value{Kind: module.KindStruct, Fields: f} }
	root := structOf(map[string]module.Value{
		"constants":     structOf(map[string]module.Value{"one": module.Int(1), "two": module.Int(2), "foo": str("foo"), "empty": str("")}),
		"undefined":     structOf(map[string]module.Value{}),
		"integer_array": {Kind: module.KindArray, Items: ints},
		"string_array":  {Kind: module.KindArray, Items: []module.Value{str("foo"), str("bar"), str("baz"), str("foo\x00bar")}},
		"integer_dict":  {Kind: module.KindDict, Dict: map[string]module.Value{}},
		"string_dict":   {Kind: module.KindDict, Dict: map[string]module.Value{"foo": str("foo"), "bar": str("bar")}},
		"struct_array": {Kind: module.KindArray, Items: []module.Value{module.Undef,
			structOf(map[string]module.Value{"i": module.Int(1)})}},
		"struct_dict": {Kind: module.KindDict, Dict: map[string]module.Value{
			"foo": structOf(map[string]module.Value{"s": str("foo"), "i": module.Int(1)})}},
		"empty_struct_dict":  {Kind: module.KindDict, Dict: map[string]module.Value{}},
		"empty_struct_array": {Kind: module.KindArray},
	})
	if d, ok := sc.ModuleData["tests"]; ok && len(d) > 0 {
		root.Fields["module_data"] = str(string(d))
	}
	return root, nil
}
