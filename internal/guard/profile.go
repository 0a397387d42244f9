package guard

import (
	"bytes"
	"io"
	"math"
	"os"
	"unicode/utf8"
)

// blockSize is the unit of entropy measurement. 1 KiB blocks of random data
// measure about 7.8 bits/byte while text stays under 5.5, so a jump is clear
// even when only a few percent of a file is encrypted (intermittent
// encryption keeps most blocks intact) as long as an encrypted stripe covers
// one whole block.
const blockSize = 1024

// Entropy thresholds (bits per byte) for "low" and "high" blocks.
const (
	lowEntropy  = 6.0
	highEntropy = 7.0
)

// profile summarises a file's content for comparison after a write.
type profile struct {
	size    int64
	kind    string  // magic class ("pdf", "zip", "text", "" unknown)
	blocks  []uint8 // entropy of each block, in tenths of a bit
	lowMean bool    // most blocks are low-entropy
}

// readProfile reads up to max bytes of a file.
func readProfile(path string, max int64) (*profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, os.ErrInvalid
	}
	n := min(st.Size(), max)
	buf := make([]byte, n)
	if _, err := io.ReadFull(f, buf); err != nil && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	p := profileOf(buf)
	p.size = st.Size()
	return p, nil
}

func profileOf(b []byte) *profile {
	p := &profile{size: int64(len(b)), kind: magicKind(b)}
	low := 0
	for off := 0; off < len(b); off += blockSize {
		end := min(off+blockSize, len(b))
		if end-off < 256 && off > 0 {
			break // a short tail says little
		}
		e := entropy(b[off:end])
		p.blocks = append(p.blocks, uint8(math.Round(e*10)))
		if e < lowEntropy {
			low++
		}
	}
	p.lowMean = len(p.blocks) > 0 && low*2 > len(p.blocks)
	return p
}

// entropy is the Shannon entropy of b in bits per byte.
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var hist [256]int
	for _, c := range b {
		hist[c]++
	}
	n := float64(len(b))
	var e float64
	for _, c := range hist {
		if c > 0 {
			p := float64(c) / n
			e -= p * math.Log2(p)
		}
	}
	return e
}

// jumpedBlocks counts blocks that were low-entropy before and high after.
func jumpedBlocks(before, after *profile) int {
	n := 0
	for i := 0; i < len(before.blocks) && i < len(after.blocks); i++ {
		if float64(before.blocks[i])/10 < lowEntropy && float64(after.blocks[i])/10 >= highEntropy {
			n++
		}
	}
	return n
}

var magics = []struct {
	kind  string
	magic []byte
}{
	{"pdf", []byte("%PDF")},
	{"zip", []byte("PK\x03\x04")},                                   // docx, xlsx, pptx, odt, jar
	{"ole", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}}, // doc, xls
	{"rtf", []byte(`{\rtf`)},
	{"png", []byte("\x89PNG")},
	{"jpeg", []byte{0xFF, 0xD8, 0xFF}},
	{"gif", []byte("GIF8")},
	{"sqlite", []byte("SQLite format 3\x00")},
	{"dicom", nil}, // checked at offset 128 below
	{"elf", []byte("\x7fELF")},
	{"pe", []byte("MZ")},
	{"gzip", []byte{0x1F, 0x8B}},
	{"xml", []byte("<?xml")},
	{"hl7", []byte("MSH|")},
}

// magicKind classifies content by its magic number, or as "text" when it is
// almost all printable.
func magicKind(b []byte) string {
	for _, m := range magics {
		if m.magic != nil && bytes.HasPrefix(b, m.magic) {
			return m.kind
		}
	}
	if len(b) >= 132 && string(b[128:132]) == "DICM" {
		return "dicom"
	}
	if isText(b) {
		return "text"
	}
	return ""
}

// isText reports whether b looks like text: valid UTF-8 (Chinese documents
// are mostly multi-byte) or GB-encoded, with almost no control bytes.
func isText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	sample := b[:min(len(b), 4096)]
	// Do not judge a rune cut at the end of the sample.
	for i := 0; i < 3 && len(sample) > 0 && !utf8.Valid(sample); i++ {
		sample = sample[:len(sample)-1]
	}
	control := 0
	for _, c := range sample {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' {
			control++
		}
	}
	if control*100 > len(sample) {
		return false
	}
	if utf8.Valid(sample) {
		return true
	}
	// Legacy encodings (GB18030/GBK) are pairs of high bytes, but real
	// documents keep ASCII line breaks, digits and punctuation; inverted or
	// XOR-ed text has none.
	ascii := 0
	for _, c := range sample {
		if c >= 0x09 && c < 0x7F {
			ascii++
		}
	}
	return control == 0 && ascii*20 >= len(sample)
}
