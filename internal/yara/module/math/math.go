// Package math is YARA's "math" module (as in YARA 4.2.3): entropy, mean,
// deviation, serial correlation, Monte Carlo pi, byte counts, percentages and
// the mode over a range of the scanned data or over a string, plus small
// integer helpers (min, max, abs, to_number, in_range).
//
// It reproduces YARA's arithmetic, including its quirks (min/max compare as
// unsigned, percentage divides in single precision, serial_correlation's
// wrap-around term). It does not implement functions added after 4.2.3
// (to_string). Only the YARA engine and module/list.go import it.
package math

import (
	"encoding/binary"
	gomath "math"

	"github.com/medshield/medshield/internal/yara/module"
)

// Module is the math module. The zero value is ready to use.
type Module struct{}

// New returns the math module.
func New() *Module { return &Module{} }

// Name implements module.Module.
func (*Module) Name() string { return "math" }

var (
	tInt   = &module.Type{Kind: module.KindInteger}
	tFloat = &module.Type{Kind: module.KindFloat}
)

func fn(sigs ...*module.Signature) *module.Type {
	return &module.Type{Kind: module.KindFunc, Funcs: sigs}
}

func sig(args string, res module.Kind, impl func(*module.ScanContext, *module.Value, []module.Value) module.Value) *module.Signature {
	return &module.Signature{Args: args, Result: res, Impl: impl}
}

// Schema implements module.Module; the declaration order follows YARA's.
func (*Module) Schema() *module.Type {
	const I, F = module.KindInteger, module.KindFloat
	return &module.Type{Kind: module.KindStruct, Fields: []module.Field{
		{Name: "MEAN_BYTES", Type: tFloat},
		{Name: "in_range", Type: fn(sig("fff", I, inRange))},
		{Name: "deviation", Type: fn(sig("iif", F, dataDeviation), sig("sf", F, stringDeviation))},
		{Name: "mean", Type: fn(sig("ii", F, dataMean), sig("s", F, stringMean))},
		{Name: "serial_correlation", Type: fn(sig("ii", F, dataSerialCorrelation), sig("s", F, stringSerialCorrelation))},
		{Name: "monte_carlo_pi", Type: fn(sig("ii", F, dataMonteCarloPi), sig("s", F, stringMonteCarloPi))},
		{Name: "entropy", Type: fn(sig("ii", F, dataEntropy), sig("s", F, stringEntropy))},
		{Name: "min", Type: fn(sig("ii", I, minFn))},
		{Name: "max", Type: fn(sig("ii", I, maxFn))},
		// YARA declares to_number's argument as a boolean ('b').
		{Name: "to_number", Type: fn(sig("b", I, toNumber))},
		{Name: "abs", Type: fn(sig("i", I, absFn))},
		{Name: "count", Type: fn(sig("iii", I, countRange), sig("i", I, countGlobal))},
		{Name: "percentage", Type: fn(sig("iii", F, percentageRange), sig("i", F, percentageGlobal))},
		{Name: "mode", Type: fn(sig("ii", I, modeRange), sig("", I, modeGlobal))},
	}}
}

// Load implements module.Module.
func (*Module) Load(sc *module.ScanContext) (module.Value, error) {
	return module.Value{Kind: module.KindStruct, Fields: map[string]module.Value{
		"MEAN_BYTES": module.Float(127.5),
	}}, nil
}

// floatResult returns f, or undefined when f is NaN: YARA turns a NaN function
// result into undefined when it reads it (exec.c, OP_OBJ_VALUE), so for
// example the mean of an empty range is undefined.
func floatResult(f float64) module.Value {
	if gomath.IsNaN(f) {
		return module.Undef
	}
	return module.Float(f)
}

// span returns the bytes YARA's get_distribution covers for (offset, length)
// on a single memory block: undefined for negative arguments or an offset at
// or past the end; a length past the end is clipped.
func span(data []byte, offset, length int64) ([]byte, bool) {
	if offset < 0 || length < 0 || offset >= int64(len(data)) {
		return nil, false
	}
	end := int64(len(data))
	if length < end-offset {
		end = offset + length
	}
	return data[offset:end], true
}

// distribution counts byte values. Four tables, filled from 8-byte words,
// avoid the store-to-load dependency of consecutive equal bytes (about 2x
// faster on long runs than one table).
func distribution(b []byte) *[256]uint32 {
	var t [4][256]uint32
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		t[0][byte(w)]++
		t[1][byte(w>>8)]++
		t[2][byte(w>>16)]++
		t[3][byte(w>>24)]++
		t[0][byte(w>>32)]++
		t[1][byte(w>>40)]++
		t[2][byte(w>>48)]++
		t[3][byte(w>>56)]++
	}
	for ; i < len(b); i++ {
		t[0][b[i]]++
	}
	d := &t[0]
	for k := range d {
		d[k] += t[1][k] + t[2][k] + t[3][k]
	}
	return d
}

func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	d := distribution(b)
	n := float64(len(b))
	e := 0.0
	for _, c := range d {
		if c != 0 {
			x := float64(c) / n
			e -= x * gomath.Log2(x)
		}
	}
	return e
}

func dataEntropy(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	b, ok := span(sc.Data, a[0].I, a[1].I)
	if !ok {
		return module.Undef
	}
	return floatResult(entropy(b))
}

func stringEntropy(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return floatResult(entropy(a[0].S))
}

func deviation(b []byte, mean float64) float64 {
	d := distribution(b)
	sum := 0.0
	for i, c := range d {
		sum += gomath.Abs(float64(i)-mean) * float64(c)
	}
	return sum / float64(len(b)) // NaN for an empty range, as in YARA
}

func dataDeviation(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	b, ok := span(sc.Data, a[0].I, a[1].I)
	if !ok {
		return module.Undef
	}
	return floatResult(deviation(b, a[2].F))
}

func stringDeviation(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	// YARA reads the string as C chars, signed on x86 (the reference
	// platform): bytes >= 0x80 count as negative.
	sum := 0.0
	for _, c := range a[0].S {
		sum += gomath.Abs(float64(int8(c)) - a[1].F)
	}
	return floatResult(sum / float64(len(a[0].S)))
}

func dataMean(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	b, ok := span(sc.Data, a[0].I, a[1].I)
	if !ok {
		return module.Undef
	}
	d := distribution(b)
	sum := 0.0
	for i, c := range d {
		sum += float64(i) * float64(c)
	}
	return floatResult(sum / float64(len(b)))
}

func stringMean(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	sum := 0.0
	for _, c := range a[0].S {
		sum += float64(int8(c)) // signed C char, see stringDeviation
	}
	return floatResult(sum / float64(len(a[0].S)))
}

// serialCorrelation follows YARA, which (unlike ent) closes the cycle with
// last*last instead of last*first.
// The string overload reads signed C chars (signedChars), the range
// overload unsigned bytes.
func serialCorrelation(b []byte, signedChars bool) float64 {
	var un, last, t1, t2, t3 float64
	for _, c := range b {
		un = float64(c)
		if signedChars {
			un = float64(int8(c))
		}
		t1 += last * un
		t2 += un
		t3 += un * un
		last = un
	}
	t1 += last * un
	t2 *= t2
	n := float64(len(b))
	scc := n*t3 - t2
	if scc == 0 {
		return -100000
	}
	return (n*t1 - t2) / scc
}

func dataSerialCorrelation(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	b, ok := span(sc.Data, a[0].I, a[1].I)
	if !ok {
		return module.Undef
	}
	return floatResult(serialCorrelation(b, false))
}

func stringSerialCorrelation(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return floatResult(serialCorrelation(a[0].S, true))
}

// monteCarloPi returns the relative error of the Monte Carlo estimate of pi
// from 6-byte points, and false when there is not a single full point. The
// string overload converts signed C chars to unsigned int, as YARA does on
// x86, so bytes >= 0x80 become values near 2^32 (signedChars).
func monteCarloPi(b []byte, signedChars bool) (float64, bool) {
	incirc := gomath.Pow(gomath.Pow(256.0, 3.0)-1, 2.0)
	var mcount, inmont int
	for i := 0; i+6 <= len(b); i += 6 {
		var mx, my float64
		for j := 0; j < 3; j++ {
			x, y := float64(b[i+j]), float64(b[i+j+3])
			if signedChars {
				x, y = float64(uint32(int32(int8(b[i+j])))), float64(uint32(int32(int8(b[i+j+3]))))
			}
			mx = mx*256.0 + x
			my = my*256.0 + y
		}
		mcount++
		if mx*mx+my*my <= incirc {
			inmont++
		}
	}
	if mcount == 0 {
		return 0, false
	}
	mpi := 4.0 * (float64(inmont) / float64(mcount))
	return gomath.Abs((mpi - gomath.Pi) / gomath.Pi), true
}

func dataMonteCarloPi(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	b, ok := span(sc.Data, a[0].I, a[1].I)
	if !ok {
		return module.Undef
	}
	v, ok := monteCarloPi(b, false)
	if !ok {
		return module.Undef
	}
	return floatResult(v)
}

func stringMonteCarloPi(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	v, ok := monteCarloPi(a[0].S, true)
	if !ok {
		return module.Undef
	}
	return floatResult(v)
}

func inRange(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return module.Bool(a[1].F <= a[0].F && a[0].F <= a[2].F)
}

// minFn and maxFn compare as unsigned 64-bit integers, as YARA does.
func minFn(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	if uint64(a[0].I) < uint64(a[1].I) {
		return module.Int(a[0].I)
	}
	return module.Int(a[1].I)
}

func maxFn(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	if uint64(a[0].I) > uint64(a[1].I) {
		return module.Int(a[0].I)
	}
	return module.Int(a[1].I)
}

func toNumber(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return module.Bool(a[0].I != 0)
}

func absFn(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	if a[0].I < 0 {
		return module.Int(-a[0].I) // llabs(INT64_MIN) wraps to INT64_MIN, as here
	}
	return module.Int(a[0].I)
}

func countRange(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	b, ok := span(sc.Data, a[1].I, a[2].I)
	if !ok {
		return module.Undef
	}
	return module.Int(int64(distribution(b)[uint8(a[0].I)]))
}

// The whole-file overloads are undefined on an empty file: yara maps it to
// a block without data, which its get_distribution_global rejects.
func countGlobal(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	if len(sc.Data) == 0 {
		return module.Undef
	}
	return module.Int(int64(distribution(sc.Data)[uint8(a[0].I)]))
}

// percentage divides in single precision, as YARA's C code does.
func percentage(b []byte, c uint8) float64 {
	n := distribution(b)[c]
	return float64(float32(n) / float32(len(b)))
}

func percentageRange(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	b, ok := span(sc.Data, a[1].I, a[2].I)
	if !ok {
		return module.Undef
	}
	return floatResult(percentage(b, uint8(a[0].I)))
}

func percentageGlobal(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	if len(sc.Data) == 0 {
		return module.Undef
	}
	return floatResult(percentage(sc.Data, uint8(a[0].I)))
}

// mode returns the most common byte; ties go to the smallest value.
func mode(b []byte) int64 {
	d := distribution(b)
	best := 0
	for i := range d {
		if d[i] > d[best] {
			best = i
		}
	}
	return int64(best)
}

func modeRange(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	b, ok := span(sc.Data, a[0].I, a[1].I)
	if !ok {
		return module.Undef
	}
	return module.Int(mode(b))
}

func modeGlobal(sc *module.ScanContext, _ *module.Value, _ []module.Value) module.Value {
	if len(sc.Data) == 0 {
		return module.Undef
	}
	return module.Int(mode(sc.Data))
}
