package yara

import (
	"sort"
	"sync"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/syntax"
)

// Rules is a compiled rule set. It is read-only after compilation and safe
// for concurrent scans.
type Rules struct {
	fset      *syntax.FileSet
	rules     []*Rule
	strings   []*String
	variants  []*variant
	varStr    []int32 // variant -> string index
	anywhere  []int32 // variants verified at every offset (no usable atom)
	modules   []module.Module
	modIndex  map[string]int
	externals []external
	maxVars   int
	sources   []Source
	includes  map[string][]byte
	ac        *automaton
	chained   []int     // strings with parts
	pool      sync.Pool // *state, reused across scans
}

// Rules returns the compiled rules in declaration order.
func (rs *Rules) Rules() []*Rule { return rs.rules }

// NumStrings is the number of strings (including chain parts).
func (rs *Rules) NumStrings() int { return len(rs.strings) }

// NumAtoms is the number of atoms in the automaton.
func (rs *Rules) NumAtoms() int {
	n := 0
	for _, v := range rs.variants {
		n += len(v.atoms)
	}
	return n
}

// Sources returns the sources the rules were compiled from.
func (rs *Rules) Sources() []Source { return rs.sources }

func (rs *Rules) build() {
	var atoms []struct {
		b   []byte
		ref atomRef
	}
	for si, s := range rs.strings {
		if len(s.parts) > 0 {
			rs.chained = append(rs.chained, si)
		}
		for _, v := range s.variants {
			vi := int32(len(rs.variants))
			rs.variants = append(rs.variants, v)
			rs.varStr = append(rs.varStr, int32(si))
			if len(v.atoms) == 0 {
				rs.anywhere = append(rs.anywhere, vi)
				continue
			}
			// Several atoms of one variant may be equal (nocase of non-letters);
			// keep one of each.
			seen := map[string]bool{}
			for _, a := range v.atoms {
				k := string(a.b)
				if seen[k] {
					continue
				}
				seen[k] = true
				atoms = append(atoms, struct {
					b   []byte
					ref atomRef
				}{a.b, atomRef{variant: vi, off: int32(a.off)}})
			}
		}
	}
	sort.SliceStable(atoms, func(i, j int) bool { return string(atoms[i].b) < string(atoms[j].b) })
	rs.ac = buildAutomaton(atoms)
}

// Position returns the source position of a rule-relative Pos (for
// diagnostics).
func (rs *Rules) Position(p syntax.Pos) syntax.Position { return rs.fset.Position(p) }
