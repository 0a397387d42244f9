package yara

import (
	"math/bits"

	"github.com/medshield/medshield/internal/yara/re"
)

// maxAtomLen is YARA's YR_MAX_ATOM_LENGTH.
const maxAtomLen = 4

// maxAtomVariants bounds how many concrete atoms one window may expand to
// (for example a nocase atom "abcd" has 16).
const maxAtomVariants = 64

// byteQuality scores one position of an atom: exact uncommon bytes are
// best; bytes that fill padding and code caves (00, FF, CC, 90, 20) and
// wide classes are worth less, as in YARA's atom quality heuristic.
func byteQuality(c *re.Class) int {
	n := c.Count()
	switch {
	case n == 1:
		switch c.First() {
		case 0x00, 0xFF, 0xCC, 0x90, 0x20:
			return 12
		}
		return 20
	case n == 2:
		return 18
	case n == 256:
		return -10
	}
	q := 20 - 3*bits.Len(uint(n))
	if q < 1 {
		q = 1
	}
	return q
}

// bestAtom chooses, among windows of up to maxAtomLen consecutive byte
// classes at the top level of seq, the one with the best quality. It
// returns the window's start and length (0 when there is none).
func bestAtom(seq []*re.Node) (start, length, quality int) {
	best, bestStart, bestLen := -1<<30, 0, 0
	for i := range seq {
		q, variants := 0, 1
		allSame := true
		for k := 0; k < maxAtomLen && i+k < len(seq); k++ {
			n := seq[i+k]
			if n.Op != re.OpClass {
				break
			}
			cnt := n.Class.Count()
			if cnt > 32 || variants*cnt > maxAtomVariants {
				break
			}
			variants *= cnt
			q += byteQuality(&n.Class)
			if k > 0 && n.Class != seq[i].Class {
				allSame = false
			}
			eff := q
			if allSame && k > 0 {
				eff = q / 2
			}
			if eff > best {
				best, bestStart, bestLen = eff, i, k+1
			}
		}
	}
	if bestLen == 0 {
		return 0, 0, 0
	}
	return bestStart, bestLen, best
}

// expandAtoms lists every concrete atom of a window of byte classes.
func expandAtoms(nodes []*re.Node, off int) []atom {
	out := []atom{{off: off}}
	for _, n := range nodes {
		bs := n.Class.Bytes()
		next := make([]atom, 0, len(out)*len(bs))
		for _, a := range out {
			for _, b := range bs {
				nb := append(append([]byte(nil), a.b...), b)
				next = append(next, atom{b: nb, off: off})
			}
		}
		out = next
	}
	return out
}
