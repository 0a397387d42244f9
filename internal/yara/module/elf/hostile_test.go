package elf

import (
	"encoding/binary"
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
)

// TestDynamicFanOut: 60000 PT_DYNAMIC segments over one 128 KiB dynamic
// table without DT_NULL, i.e. 10^9 entries for an unbounded walk.
func TestDynamicFanOut(t *testing.T) {
	const nseg = 60000
	phoff := 64
	table := phoff + 56*nseg
	data := make([]byte, table+128<<10)
	copy(data, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(data[16:], 3)
	le.PutUint64(data[32:], uint64(phoff))
	le.PutUint16(data[54:], 56)
	le.PutUint16(data[56:], nseg)
	for i := 0; i < nseg; i++ {
		ph := phoff + 56*i
		le.PutUint32(data[ph:], 2)
		le.PutUint64(data[ph+8:], uint64(table))
	}
	for o := table; o+16 <= len(data); o += 16 {
		le.PutUint64(data[o:], 1) // DT_NEEDED, never DT_NULL
	}
	v, err := New().Load(&module.ScanContext{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(v.Get("segments").Items); n != nseg {
		t.Errorf("%d segments, want %d", n, nseg)
	}
	if n := len(v.Get("dynamic").Items); n == 0 || n > maxDynamicEntries {
		t.Errorf("%d dynamic entries, want 1..%d", n, maxDynamicEntries)
	}
}
