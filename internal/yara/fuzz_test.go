package yara

import (
	"context"
	"testing"
	"time"
)

// FuzzScan scans random data with a rule set that uses every string kind,
// and compiles random rule text: neither may panic or hang.
func FuzzScan(f *testing.F) {
	rs := compileT(f, `
import "math"
rule a { strings: $a = "abc" nocase wide ascii $b = { 4D 5A [0-20] 50 45 } $c = /a[^b]{1,8}c\b/ $d = "k" xor(1-5) $e = "hello" base64
  condition: any of them and math.entropy(0, filesize) >= 0 }
rule b { strings: $a = { 41 [300-] 42 } condition: #a > 0 or for any i in (1..#a) : (@a[i] > 2) }
`, Options{})
	f.Add([]byte("MZ....PE abc a\x00b\x00c\x00 axxc aGVsbG8"), "rule x { condition: true }")
	f.Add([]byte{0, 1, 2}, "rule y { strings: $a = /(a|b)*/ condition: $a }")
	f.Fuzz(func(t *testing.T, data []byte, src string) {
		if _, err := rs.Scan(context.Background(), data, &ScanOptions{Timeout: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
		c, err := NewCompiler(Options{Modules: testModules()})
		if err != nil {
			t.Fatal(err)
		}
		c.AddSource("f.yar", "", []byte(src))
		r2, _ := c.Rules()
		if len(data) < 4096 {
			r2.Scan(context.Background(), data, &ScanOptions{Timeout: 10 * time.Second})
		}
	})
}
