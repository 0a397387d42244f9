package sigma

// A bigram filter answers "can this needle occur in the value?" in a few
// bit tests: it holds a bit per hashed pair of adjacent bytes of the value.
// A needle with a pair whose bit is clear cannot be a substring, so most
// "contains" tests on long values (command lines, script blocks) skip the
// scan. It never rejects a true match.

const (
	bigramMinValue = 24 // shorter values are scanned directly
	maxNeedlePairs = 4  // pairs of a needle that are checked
)

type bigramFilter struct {
	bits []uint64
	mask uint32
}

func bigramHash(a, b byte) uint32 {
	return (uint32(a)<<8 | uint32(b)) * 2654435761 >> 16
}

// reset sizes the filter for n bytes of values and clears it.
func (f *bigramFilter) reset(n int) {
	words := 16 // 1024 bits
	if n > 512 {
		words = 64 // 4096 bits for long values such as script blocks
	}
	if cap(f.bits) < words {
		f.bits = make([]uint64, words)
	}
	f.bits = f.bits[:words]
	clear(f.bits)
	f.mask = uint32(words*64 - 1)
}

func (f *bigramFilter) add(s string) {
	for i := 0; i+1 < len(s); i++ {
		h := bigramHash(s[i], s[i+1]) & f.mask
		f.bits[h>>6] |= 1 << (h & 63)
	}
}

// mayContain reports whether a needle with these pair hashes can occur.
func (f *bigramFilter) mayContain(pairs []uint32) bool {
	for _, p := range pairs {
		h := p & f.mask
		if f.bits[h>>6]&(1<<(h&63)) == 0 {
			return false
		}
	}
	return true
}

// needlePairs picks up to maxNeedlePairs pair hashes spread over s.
func needlePairs(s string) []uint32 {
	if len(s) < 3 {
		return nil
	}
	n := len(s) - 1 // number of pairs
	k := min(n, maxNeedlePairs)
	out := make([]uint32, 0, k)
	for j := 0; j < k; j++ {
		i := j * (n - 1) / max(k-1, 1)
		out = append(out, bigramHash(s[i], s[i+1]))
	}
	return out
}
