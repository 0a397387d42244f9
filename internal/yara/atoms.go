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

// maxPrefixAtoms bounds how many atoms one split point may expand to.
const maxPrefixAtoms = 64

// prefixAtoms returns byte strings of up to maxAtomLen bytes such that
// every match of seq starts with one of them, looking through
// alternatives, optional parts and repeats (YARA extracts atoms from
// alternatives the same way). ok is false when no useful set exists.
func prefixAtoms(seq []*re.Node) (atoms [][]byte, ok bool) {
	seen := map[string]bool{}
	budget := 4096
	var expand func(seq []*re.Node, cur []byte) bool
	expand = func(seq []*re.Node, cur []byte) bool {
		budget--
		if budget < 0 || len(seen) > maxPrefixAtoms {
			return false
		}
		if len(cur) == maxAtomLen || len(seq) == 0 {
			if len(cur) == 0 {
				return false
			}
			seen[string(cur)] = true
			return true
		}
		n := seq[0]
		switch n.Op {
		case re.OpClass:
			if n.Class.Count() > 16 {
				if len(cur) == 0 {
					return false
				}
				seen[string(cur)] = true
				return true
			}
			for _, b := range n.Class.Bytes() {
				if !expand(seq[1:], append(append([]byte(nil), cur...), b)) {
					return false
				}
			}
			return true
		case re.OpConcat:
			return expand(append(append([]*re.Node(nil), n.Subs...), seq[1:]...), cur)
		case re.OpAlt:
			for _, br := range n.Subs {
				if !expand(append(append([]*re.Node(nil), br.Seq()...), seq[1:]...), cur) {
					return false
				}
			}
			return true
		case re.OpRepeat:
			sub := n.Subs[0]
			if n.Min >= 1 {
				rest := *n
				rest.Min--
				if rest.Max > 0 {
					rest.Max--
				}
				next := []*re.Node{sub}
				if rest.Max != 0 {
					next = append(next, &rest)
				}
				return expand(append(next, seq[1:]...), cur)
			}
			if n.Max == 0 {
				return expand(seq[1:], cur)
			}
			// Optional: either one iteration or none.
			rest := *n
			if rest.Max > 0 {
				rest.Max--
			}
			next := []*re.Node{sub}
			if rest.Max != 0 {
				next = append(next, &rest)
			}
			return expand(append(next, seq[1:]...), cur) && expand(seq[1:], cur)
		case re.OpEmpty, re.OpWordB, re.OpNotWordB, re.OpBegin, re.OpEnd:
			return expand(seq[1:], cur)
		}
		return false
	}
	if !expand(seq, nil) || len(seen) == 0 || len(seen) > maxPrefixAtoms {
		return nil, false
	}
	for k := range seen {
		atoms = append(atoms, []byte(k))
	}
	return atoms, true
}

// atomSetQuality scores a set of atoms: the weakest atom counts, and many
// alternatives cost a little.
func atomSetQuality(atoms [][]byte) int {
	q := 1 << 30
	for _, a := range atoms {
		s := 0
		same := true
		for i, b := range a {
			var c re.Class
			c.Add(b)
			s += byteQuality(&c)
			if i > 0 && b != a[0] {
				same = false
			}
		}
		if same && len(a) > 1 {
			s /= 2
		}
		q = min(q, s)
	}
	return q - 3*bits.Len(uint(len(atoms)-1))
}
