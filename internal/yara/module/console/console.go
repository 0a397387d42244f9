// Package console is YARA's "console" module: log() and hex() write one line
// per call to the scan's console (module.ScanContext.Console) and return true,
// formatted as YARA 4.2.3 formats them (non-printable bytes of logged strings
// as \xNN, floats as C's "%f", hex as "0x%llx"). Only the YARA engine and
// module/list.go import it.
package console

import (
	"bytes"
	"fmt"
	gomath "math"
	"strconv"

	"github.com/medshield/medshield/internal/yara/module"
)

// Module is the console module. The zero value is ready to use.
type Module struct{}

// New returns the console module.
func New() *Module { return &Module{} }

// Name implements module.Module.
func (*Module) Name() string { return "console" }

// Schema implements module.Module; overloads in YARA's declaration order.
func (*Module) Schema() *module.Type {
	const I = module.KindInteger
	return &module.Type{Kind: module.KindStruct, Fields: []module.Field{
		{Name: "log", Type: &module.Type{Kind: module.KindFunc, Funcs: []*module.Signature{
			{Args: "s", Result: I, Impl: logString},
			{Args: "ss", Result: I, Impl: logStringMsg},
			{Args: "i", Result: I, Impl: logInt},
			{Args: "si", Result: I, Impl: logIntMsg},
			{Args: "f", Result: I, Impl: logFloat},
			{Args: "sf", Result: I, Impl: logFloatMsg},
		}}},
		{Name: "hex", Type: &module.Type{Kind: module.KindFunc, Funcs: []*module.Signature{
			{Args: "i", Result: I, Impl: hexInt},
			{Args: "si", Result: I, Impl: hexIntMsg},
		}}},
	}}
}

// Load implements module.Module.
func (*Module) Load(*module.ScanContext) (module.Value, error) {
	return module.Value{Kind: module.KindStruct, Fields: map[string]module.Value{}}, nil
}

func emit(sc *module.ScanContext, line []byte) module.Value {
	if sc != nil && sc.Console != nil {
		line = append(line, '\n')
		// YARA ignores the callback's result too: a console that fails must
		// not change the rule's outcome.
		_, _ = sc.Console.Write(line)
	}
	return module.Int(1)
}

// cString is a message prefix as YARA reads it: a C string, cut at the
// first NUL.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// escape writes printable ASCII as is and every other byte as \xNN.
func escape(dst, s []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range s {
		if c >= 0x20 && c < 0x7f {
			dst = append(dst, c)
		} else {
			dst = append(dst, '\\', 'x', digits[c>>4], digits[c&15])
		}
	}
	return dst
}

// cFloat formats like C's printf("%f") with glibc.
func cFloat(f float64) string {
	switch {
	case gomath.IsNaN(f):
		if gomath.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case gomath.IsInf(f, 1):
		return "inf"
	case gomath.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

func logString(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return emit(sc, escape(nil, a[0].S))
}

func logStringMsg(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return emit(sc, escape(append([]byte(nil), cString(a[0].S)...), a[1].S))
}

func logInt(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return emit(sc, strconv.AppendInt(nil, a[0].I, 10))
}

func logIntMsg(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return emit(sc, strconv.AppendInt(append([]byte(nil), cString(a[0].S)...), a[1].I, 10))
}

func logFloat(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return emit(sc, []byte(cFloat(a[0].F)))
}

func logFloatMsg(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return emit(sc, append(append([]byte(nil), cString(a[0].S)...), cFloat(a[1].F)...))
}

func hexInt(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return emit(sc, fmt.Appendf(nil, "0x%x", uint64(a[0].I)))
}

func hexIntMsg(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return emit(sc, fmt.Appendf(append([]byte(nil), cString(a[0].S)...), "0x%x", uint64(a[1].I)))
}
