package yara

import "sort"

// atomRef is what an automaton state reports: a variant and the atom's
// distance from that variant's anchor.
type atomRef struct {
	variant int32
	off     int32
}

// automaton is one Aho-Corasick automaton over the atoms of the whole rule
// set. The root and depth-1 states have dense transition tables (most input
// bytes are handled there); deeper states keep sorted edge lists and fall
// back along failure links.
type automaton struct {
	dense   [][256]int32 // by state, for states with denseIdx >= 0
	denseOf []int32      // state -> index in dense, or -1
	edgeOff []int32      // state -> start in edgeB/edgeT
	edgeB   []byte
	edgeT   []int32
	fail    []int32
	depth   []uint8
	own     [][]atomRef // outputs of exactly this state
	outLink []int32     // next state on the failure chain with outputs, or -1
	hasOut  []bool      // own or any outLink
}

type trieNode struct {
	next  map[byte]int32
	depth uint8
	out   []atomRef
}

func buildAutomaton(atoms []struct {
	b   []byte
	ref atomRef
}) *automaton {
	nodes := []*trieNode{{next: map[byte]int32{}}}
	for _, a := range atoms {
		s := int32(0)
		for _, c := range a.b {
			n, ok := nodes[s].next[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, &trieNode{next: map[byte]int32{}, depth: nodes[s].depth + 1})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, a.ref)
	}
	n := len(nodes)
	ac := &automaton{
		denseOf: make([]int32, n), edgeOff: make([]int32, n+1), fail: make([]int32, n),
		depth: make([]uint8, n), own: make([][]atomRef, n), outLink: make([]int32, n), hasOut: make([]bool, n),
	}
	// Breadth-first order gives failure links of shallower states first.
	order := []int32{0}
	for i := 0; i < len(order); i++ {
		s := order[i]
		keys := make([]int, 0, len(nodes[s].next))
		for c := range nodes[s].next {
			keys = append(keys, int(c))
		}
		sort.Ints(keys)
		for _, c := range keys {
			order = append(order, nodes[s].next[byte(c)])
		}
	}
	for s := 0; s < n; s++ {
		ac.depth[s] = nodes[s].depth
		ac.own[s] = nodes[s].out
		ac.denseOf[s] = -1
	}
	// edges, in state order
	for s := 0; s < n; s++ {
		ac.edgeOff[s] = int32(len(ac.edgeB))
		keys := make([]int, 0, len(nodes[s].next))
		for c := range nodes[s].next {
			keys = append(keys, int(c))
		}
		sort.Ints(keys)
		for _, c := range keys {
			ac.edgeB = append(ac.edgeB, byte(c))
			ac.edgeT = append(ac.edgeT, nodes[s].next[byte(c)])
		}
	}
	ac.edgeOff[n] = int32(len(ac.edgeB))
	for _, s := range order {
		for c, t := range nodes[s].next {
			if s == 0 {
				ac.fail[t] = 0
				continue
			}
			f := ac.fail[s]
			for {
				if nt, ok := nodes[f].next[c]; ok {
					ac.fail[t] = nt
					break
				}
				if f == 0 {
					ac.fail[t] = 0
					break
				}
				f = ac.fail[f]
			}
		}
	}
	for _, s := range order {
		ac.outLink[s] = -1
		if s == 0 {
			continue
		}
		f := ac.fail[s]
		if len(ac.own[f]) > 0 {
			ac.outLink[s] = f
		} else {
			ac.outLink[s] = ac.outLink[f]
		}
		ac.hasOut[s] = len(ac.own[s]) > 0 || ac.outLink[s] >= 0
	}
	// Dense tables for the root and its children.
	var root [256]int32
	for c, t := range nodes[0].next {
		root[c] = t
	}
	ac.denseOf[0] = 0
	ac.dense = append(ac.dense, root)
	for _, t := range nodes[0].next {
		tab := root
		for c, u := range nodes[t].next {
			tab[c] = u
		}
		ac.denseOf[t] = int32(len(ac.dense))
		ac.dense = append(ac.dense, tab)
	}
	return ac
}

// step returns the state after reading c in state s.
func (ac *automaton) step(s int32, c byte) int32 {
	for {
		if d := ac.denseOf[s]; d >= 0 {
			return ac.dense[d][c]
		}
		lo, hi := ac.edgeOff[s], ac.edgeOff[s+1]
		for i := lo; i < hi; i++ {
			if ac.edgeB[i] == c {
				return ac.edgeT[i]
			}
			if ac.edgeB[i] > c {
				break
			}
		}
		s = ac.fail[s]
	}
}
