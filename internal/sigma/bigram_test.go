package sigma

import (
	"math/rand"
	"strings"
	"testing"
)

// TestBigramFilterNeverRejectsASubstring: for random values and needles, a
// needle that occurs is always reported as possible.
func TestBigramFilterNeverRejectsASubstring(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	alphabet := "abcdef\\-/. 0123"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.Intn(len(alphabet))]
		}
		return string(b)
	}
	var f bigramFilter
	rejected := 0
	for i := 0; i < 20000; i++ {
		v := word(24 + r.Intn(2000))
		f.reset(len(v))
		f.add(v)
		start := r.Intn(len(v) - 3)
		in := v[start : start+3+r.Intn(min(20, len(v)-start-3)+1)]
		if !f.mayContain(needlePairs(in)) {
			t.Fatalf("needle %q occurs in the value but was rejected", in)
		}
		out := word(3 + r.Intn(10))
		if !strings.Contains(v, out) && !f.mayContain(needlePairs(out)) {
			rejected++
		}
	}
	if rejected == 0 {
		t.Errorf("the filter never rejected an absent needle")
	}
}
