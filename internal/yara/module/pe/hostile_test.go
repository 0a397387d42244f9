package pe

import (
	"testing"
)

// Hostile inputs on which an unbounded walk (YARA's included) would run for
// hours or allocate gigabytes; Load must return with bounded results.

// TestResourceFanOut: 65535 root entries all pointing at one directory of
// 65535 entries that all point at an empty directory: 4·10^9 visits without
// our bound, no resource at all.
func TestResourceFanOut(t *testing.T) {
	data := buildPE(testSpec)
	const n = 65535
	base := len(data)
	rva := func(off int) uint32 { return uint32(off - rsrcRaw + rsrcRVA) }
	root, level1, empty := base, base+16+8*n, base+2*(16+8*n)
	data = append(data, make([]byte, 2*(16+8*n)+16)...)
	b := buf(data)
	for _, dir := range []int{root, level1} {
		b.u16(dir+12, 32767)
		b.u16(dir+14, n-32767)
		target := level1
		if dir == level1 {
			target = empty
		}
		for i := 0; i < n; i++ {
			b.u32(dir+16+8*i, uint32(i))
			b.u32(dir+16+8*i+4, 0x80000000|uint32(target-root))
		}
	}
	// Point the resource directory at the new root and grow .rsrc over it.
	dd := 0x100 + 24 + 96
	b.u32(dd+2*8, rva(root))
	sec := 0x100 + 24 + 224 + 2*40
	b.u32(sec+8, uint32(len(data)-rsrcRaw))
	b.u32(sec+16, uint32(len(data)-rsrcRaw))
	v := load(t, data)
	wantInt(t, "is_pe", v.Get("is_pe"), 1)
	wantInt(t, "number_of_resources", v.Get("number_of_resources"), 0)
	if p := peOf(&v); p == nil || p.budget <= maxResourceVisits {
		t.Errorf("the walk stopped before our bound (budget %d): the test does not build the fan-out it means to", p.budget)
	}
}

// TestDelayImportRepeat: thousands of delay-import descriptors sharing one
// name table that never ends in a NULL pointer.
func TestDelayImportRepeat(t *testing.T) {
	data := buildPE(testSpec)
	const ndesc = 4000
	start := len(data)
	names := start + 32*(ndesc+1)
	data = append(data, make([]byte, 32*(ndesc+1)+0x40000)...)
	b := buf(data)
	sec := 0x100 + 24 + 224 + 2*40 // grow .rsrc over the appended bytes
	b.u32(sec+8, uint32(len(data)-rsrcRaw))
	b.u32(sec+16, uint32(len(data)-rsrcRaw))
	rva := func(off int) uint32 { return uint32(off - rsrcRaw + rsrcRVA) }
	b.u32(0x100+24+56, uint32(rsrcRVA+len(data))) // SizeOfImage covers it
	dll := names - 16
	copy(data[dll:], "evil.dll\x00")
	for i := 0; i < 0x40000/4; i++ {
		b.u32(names+4*i, 0x80000001) // import by ordinal 1, forever
	}
	for i := 0; i < ndesc; i++ {
		d := start + 32*i
		b.u32(d, 1) // RVA-based attributes
		b.u32(d+4, rva(dll))
		b.u32(d+12, rva(names))
		b.u32(d+16, rva(names))
	}
	dd := 0x100 + 24 + 96
	b.u32(dd+13*8, rva(start))
	b.u32(dd+13*8+4, 32*ndesc)
	v := load(t, data)
	if n := v.Get("number_of_delayed_imported_functions").I; n > maxDelayedFuncs {
		t.Errorf("number_of_delayed_imported_functions = %d, above our bound %d", n, maxDelayedFuncs)
	}
	if n := v.Get("number_of_delayed_imports").I; n < 1 {
		t.Errorf("number_of_delayed_imports = %d, want at least 1", n)
	}
}
