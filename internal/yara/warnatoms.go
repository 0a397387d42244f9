package yara

// A model of YARA 4.2.3's atom extraction (libyara/atoms.c), used only to
// decide the same "may slow down scanning" warnings as yara; see
// warnings.go. The engine's own atoms are chosen in atoms.go.

// yatom is YARA's YR_ATOM: up to four bytes, each with a mask of 0xFF
// (known), 0x0F or 0xF0 (one nibble known) or 0x00 (any byte).
type yatom struct {
	b, m [maxAtomLen]byte
	n    int
}

// yaraQuality is yr_atoms_heuristic_quality.
func yaraQuality(a yatom) int {
	var seen [256]bool
	q, unique := 0, 0
	for i := 0; i < a.n; i++ {
		switch a.m[i] {
		case 0x00:
			q -= 10
		case 0x0F, 0xF0:
			q += 4
		case 0xFF:
			switch c := a.b[i]; {
			case c == 0x00 || c == 0x20 || c == 0xCC || c == 0xFF:
				q += 12
			case c|0x20 >= 'a' && c|0x20 <= 'z':
				q += 18
			default:
				q += 20
			}
			if !seen[a.b[i]] {
				seen[a.b[i]] = true
				unique++
			}
		}
	}
	if unique == 1 && (seen[0x00] || seen[0x20] || seen[0x90] || seen[0xCC] || seen[0xFF]) {
		q -= 10 * a.n
	} else {
		q += 2 * unique
	}
	return yrMaxAtomQuality - 22*maxAtomLen + q
}

// yaraTrim is _yr_atoms_trim: drop unknown bytes at both ends, and keep
// only the first byte when unknown bytes are at least as many as known ones.
func yaraTrim(a yatom) yatom {
	left := 0
	for left < a.n && a.m[left] == 0 {
		left++
	}
	for a.n > left && a.m[a.n-1] == 0 {
		a.n--
	}
	a.n -= left
	if a.n == 0 {
		return a
	}
	ff, zero := 0, 0
	for i := 0; i < a.n; i++ {
		switch a.m[left+i] {
		case 0xFF:
			ff++
		case 0x00:
			zero++
		}
	}
	if zero >= ff {
		a.n = 1
	}
	var out yatom
	out.n = a.n
	copy(out.b[:], a.b[left:])
	copy(out.m[:], a.m[left:])
	return out
}

// yaraStringAtoms is yr_atoms_extract_from_string followed by the quality
// re-check YARA makes after the wide, nocase and xor expansions. It returns
// the minimum quality and the number of atoms.
func yaraStringAtoms(s []byte, m stringMods) (minQ, count int) {
	var best yatom
	best.n = min(len(s), maxAtomLen)
	for i := 0; i < best.n; i++ {
		best.b[i], best.m[i] = s[i], 0xFF
	}
	maxQ := yaraQuality(best)
	for i := maxAtomLen; i < len(s) && maxQ < yrMaxAtomQuality; i++ {
		var a yatom
		a.n = maxAtomLen
		for k := 0; k < maxAtomLen; k++ {
			a.b[k], a.m[k] = s[i-maxAtomLen+1+k], 0xFF
		}
		if q := yaraQuality(a); q > maxQ {
			best, maxQ = a, q
		}
	}
	atoms := []yatom{best}
	if m.wide {
		w := yaraWide(atoms)
		if m.ascii {
			atoms = append(atoms, w...)
		} else {
			atoms = w
		}
	}
	if m.nocase {
		atoms = yaraCaseCombinations(atoms)
	}
	if m.xor {
		var x []yatom
		for _, a := range atoms {
			for k := m.xorMin; k <= m.xorMax; k++ {
				xa := a
				for i := 0; i < xa.n; i++ {
					xa.b[i] ^= byte(k)
				}
				x = append(x, xa)
			}
		}
		atoms = x
	}
	minQ = maxQ
	for _, a := range atoms {
		minQ = min(minQ, yaraQuality(a))
	}
	return minQ, len(atoms)
}

// yaraWide is _yr_atoms_wide: interleave zeroes, keeping four bytes.
func yaraWide(atoms []yatom) []yatom {
	out := make([]yatom, 0, len(atoms))
	for _, a := range atoms {
		var w yatom
		for i := range w.m {
			w.m[i] = 0xFF
		}
		for i := 0; i < a.n && 2*i < maxAtomLen; i++ {
			w.b[2*i] = a.b[i]
		}
		w.n = min(2*a.n, maxAtomLen)
		out = append(out, w)
	}
	return out
}

// yaraCaseCombinations is _yr_atoms_case_insensitive plus the originals:
// every atom with each ASCII letter in both cases.
func yaraCaseCombinations(atoms []yatom) []yatom {
	out := append([]yatom(nil), atoms...)
	for _, a := range atoms {
		combos := []yatom{a}
		for i := 0; i < a.n; i++ {
			c := a.b[i]
			if c|0x20 < 'a' || c|0x20 > 'z' {
				continue
			}
			for _, x := range combos {
				x.b[i] ^= 0x20
				combos = append(combos, x)
			}
		}
		out = append(out, combos[1:]...)
	}
	return out
}

// Atom tree of _yr_atoms_extract_from_re.
type ytreeKind uint8

const (
	ytLeaf ytreeKind = iota + 1
	ytOr
	ytAnd
)

type ytree struct {
	kind ytreeKind
	atom yatom
	kids []*ytree
}

// yaraPatternAtoms is yr_atoms_extract_from_re for a pattern that is not a
// plain literal: it builds YARA's atom tree, chooses atoms as YARA does and
// returns the chosen quality (YARA does not re-check it after the wide and
// nocase expansions here) and the number of atoms after expansion.
func yaraPatternAtoms(n *ynode, m stringMods) (quality, count int) {
	root := &ytree{kind: ytOr}
	yaraExtract(n, root)
	atoms, q := yaraChoose(root)
	count = 0
	wide := m.wide && !m.base64 && !m.base64wide
	for _, a := range atoms {
		// _yr_atoms_expand_wildcards makes every masked byte concrete,
		// _yr_atoms_wide keeps the first two bytes of each, and the nocase
		// expansion doubles every letter: the counts factor by position.
		asc, wid := 1, 1
		for i := 0; i < a.n; i++ {
			size, weighted := 0, 0
			for v := 0; v < 256; v++ {
				if byte(v)&a.m[i] != a.b[i]&a.m[i] {
					continue
				}
				size++
				weighted++
				if m.nocase && v|0x20 >= 'a' && v|0x20 <= 'z' {
					weighted++
				}
			}
			asc *= weighted
			if i < 2 {
				wid *= weighted
			} else {
				wid *= size
			}
		}
		if !wide || m.ascii {
			count += asc
		}
		if wide {
			count += wid
		}
	}
	if count == 0 {
		count = 1 // YARA adds one zero-length atom
	}
	return q, count
}

// yaraExtract walks the pattern in the order of YARA's explicit stack: runs
// of up to four literal nodes form the candidate atom of the current OR
// node, and any other node ends the run.
func yaraExtract(root *ynode, appendTo *ytree) {
	type item struct {
		n  *ynode
		to *ytree // when set: flush the pending atom and append to this node from now on
	}
	var (
		recent  [maxAtomLen]*ynode
		nrecent int
		best    yatom
		bestQ   = -1
		cur     *ytree
	)
	fromNodes := func() yatom {
		var a yatom
		a.n = nrecent
		for i := 0; i < nrecent; i++ {
			a.b[i], a.m[i] = recent[i].val, recent[i].mask
		}
		return a
	}
	stack := []item{{nil, appendTo}, {root, appendTo}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.to != nil {
			if nrecent > 0 {
				a := yaraTrim(fromNodes())
				leaf := &ytree{kind: ytLeaf, atom: best}
				if yaraQuality(a) > bestQ {
					leaf.atom = a
				}
				cur.kids = append(cur.kids, leaf)
				nrecent = 0
			}
			cur, bestQ = it.to, -1
		}
		if it.n == nil {
			continue
		}
		n := it.n
		switch n.kind {
		case ynLit, ynMasked:
			if nrecent < maxAtomLen {
				recent[nrecent] = n
				best.b[nrecent], best.m[nrecent] = n.val, n.mask
				nrecent++
				best.n = nrecent
			} else if bestQ < yrMaxAtomQuality {
				a := yaraTrim(fromNodes())
				if q := yaraQuality(a); q > bestQ {
					best, bestQ = a, q
				}
				copy(recent[:], recent[1:])
				recent[maxAtomLen-1] = n
			}
		case ynConcat:
			for i := len(n.subs) - 1; i >= 0; i-- {
				stack = append(stack, item{n: n.subs[i]})
			}
		case ynAlt:
			and := &ytree{kind: ytAnd}
			cur.kids = append(cur.kids, and)
			stack = append(stack, item{to: cur})
			ors := make([]*ytree, len(n.subs))
			for i := range n.subs {
				ors[i] = &ytree{kind: ytOr}
			}
			and.kids = ors
			for i := len(n.subs) - 1; i >= 0; i-- {
				stack = append(stack, item{n: n.subs[i], to: ors[i]})
			}
		case ynPlus:
			stack = append(stack, item{to: cur}, item{n: n.subs[0]})
		case ynRange:
			stack = append(stack, item{to: cur})
			for i := 0; i < min(n.start, maxAtomLen); i++ {
				stack = append(stack, item{n: n.subs[0]})
			}
		default:
			stack = append(stack, item{to: cur})
		}
	}
}

// yaraChoose is _yr_atoms_choose: an OR node takes its best child, an AND
// node needs all its children and is as good as its worst.
func yaraChoose(t *ytree) ([]yatom, int) {
	switch t.kind {
	case ytLeaf:
		a := yaraTrim(t.atom)
		if a.n == 0 {
			return nil, 0
		}
		return []yatom{a}, yaraQuality(a)
	case ytOr:
		var chosen []yatom
		maxQ := 0
		for _, k := range t.kids {
			atoms, q := yaraChoose(k)
			if q > maxQ {
				maxQ, chosen = q, atoms
			}
			if maxQ == yrMaxAtomQuality {
				break
			}
		}
		return chosen, maxQ
	}
	var chosen []yatom
	minQ := yrMaxAtomQuality
	for _, k := range t.kids {
		atoms, q := yaraChoose(k)
		minQ = min(minQ, q)
		chosen = append(atoms, chosen...)
	}
	return chosen, minQ
}
