// Package module defines how YARA modules (pe, elf, math, hash, time, console)
// plug into medshield's YARA engine: each module declares a static schema,
// which the compiler uses to type-check rule conditions, and builds a value
// tree per scanned file, which the scanner evaluates. Modules are listed
// explicitly in list.go (no init registration).
//
// This package imports nothing from the engine; the engine imports it.
package module

import "io"

// Kind is the type of a module field.
type Kind int

// Field kinds.
const (
	KindInteger Kind = iota + 1
	KindFloat
	KindString // byte string
	KindStruct
	KindArray
	KindDict // keyed by string
	KindFunc
)

func (k Kind) String() string {
	switch k {
	case KindInteger:
		return "integer"
	case KindFloat:
		return "float"
	case KindString:
		return "string"
	case KindStruct:
		return "struct"
	case KindArray:
		return "array"
	case KindDict:
		return "dictionary"
	case KindFunc:
		return "function"
	}
	return "unknown"
}

// Type describes a field's type.
type Type struct {
	Kind   Kind
	Fields []Field      // KindStruct: members, in declaration order
	Elem   *Type        // KindArray, KindDict: element type
	Funcs  []*Signature // KindFunc: overloads
}

// Field is a named member of a struct.
type Field struct {
	Name string
	Type *Type
}

// Lookup returns the member named name of a struct type, or nil.
func (t *Type) Lookup(name string) *Type {
	if t == nil || t.Kind != KindStruct {
		return nil
	}
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return t.Fields[i].Type
		}
	}
	return nil
}

// Signature is one overload of a module function. Args uses the letters
// YARA uses in its own declarations: 'i' integer, 'f' float, 's' string,
// 'r' regexp, and 'b' boolean (passed as an integer 0 or 1; only
// math.to_number uses it, and YARA rejects an integer there). Result is
// KindInteger (also for booleans), KindFloat or KindString.
type Signature struct {
	Args   string
	Result Kind
	// Impl computes the result. self is the struct that holds the function
	// (the module root for top-level functions). It returns Undefined when the
	// result is undefined (for example out-of-range offsets).
	Impl func(sc *ScanContext, self *Value, args []Value) Value
}

// Regexp is the engine's compiled regular expression, passed to functions
// with an 'r' argument (for example pe.exports(/.../)).
type Regexp interface {
	Match(b []byte) bool
}

// Value is a runtime value of a module field.
type Value struct {
	Kind      Kind
	Undefined bool
	I         int64
	F         float64
	S         []byte
	Re        Regexp           // only for function arguments of kind 'r'
	Fields    map[string]Value // KindStruct
	Items     []Value          // KindArray
	Dict      map[string]Value // KindDict
	// Private lets a module keep its parsed representation (for example the
	// parsed PE) for its functions.
	Private any
}

// Undef is the undefined value.
var Undef = Value{Undefined: true}

// Int returns an integer value.
func Int(i int64) Value { return Value{Kind: KindInteger, I: i} }

// Float returns a float value.
func Float(f float64) Value { return Value{Kind: KindFloat, F: f} }

// Str returns a string value.
func Str(s []byte) Value { return Value{Kind: KindString, S: s} }

// Bool returns 1 or 0 as an integer value.
func Bool(b bool) Value {
	if b {
		return Int(1)
	}
	return Int(0)
}

// Get returns a struct member; missing members are undefined.
func (v *Value) Get(name string) Value {
	if v == nil || v.Undefined || v.Fields == nil {
		return Undef
	}
	f, ok := v.Fields[name]
	if !ok {
		return Undef
	}
	return f
}

// ScanContext is what a module sees of the scan.
type ScanContext struct {
	// Data is the whole scanned file or memory block.
	Data []byte
	// Console receives console module output (log lines); nil discards.
	Console io.Writer
	// ModuleData is optional per-module input (YARA's module data), by
	// module name.
	ModuleData map[string][]byte
}

// Module is a YARA module.
type Module interface {
	// Name is the name used in `import "name"`.
	Name() string
	// Schema is the type of the module's root struct, including functions
	// and constants (constants are fields whose value Load always sets).
	Schema() *Type
	// Load parses sc.Data and returns the root struct value. Load must not
	// panic or allocate without bound on malformed input; a file the module
	// does not understand yields a root whose data fields are undefined
	// (constants and functions stay available).
	Load(sc *ScanContext) (Value, error)
}
