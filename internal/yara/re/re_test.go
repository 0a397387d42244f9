package re

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

// findAll returns the match at every start offset, as YARA records one
// match per offset.
func findAll(n *Node, data []byte) [][]byte {
	var out [][]byte
	lazy := n.HasLazy()
	for s := 0; s <= len(data); s++ {
		if l := ForwardLen(n, data, s, lazy, nil); l >= 0 {
			out = append(out, data[s:s+l])
		}
	}
	return out
}

type confCase struct {
	Kind        string  `json:"kind"`
	Line        int     `json:"line"`
	Regexp      string  `json:"regexp"`
	DataHex     string  `json:"data_hex"`
	ExpectMatch *string `json:"expect_match"`
}

// TestConformanceRegexp runs YARA's own regexp assertions (test-rules.c
// test_re) against this engine.
func TestConformanceRegexp(t *testing.T) {
	dir := corpus.Dir(t, "yara/conformance")
	raw, err := os.ReadFile(filepath.Join(dir, "yara-v4.2.3-test-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Cases []confCase }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	pass, total := 0, 0
	for _, c := range doc.Cases {
		switch c.Kind {
		case "regexp_syntax_error":
			total++
			if _, err := Parse(c.Regexp, 0); err == nil {
				t.Errorf("line %d: %q parsed, want syntax error", c.Line, c.Regexp)
				continue
			}
			pass++
		case "regexp_match", "regexp_no_match":
			total++
			n, err := Parse(c.Regexp, 0)
			if err != nil {
				t.Errorf("line %d: %q: %v", c.Line, c.Regexp, err)
				continue
			}
			data, _ := hex.DecodeString(c.DataHex)
			got := findAll(n, data)
			if c.Kind == "regexp_no_match" {
				if len(got) > 0 {
					t.Errorf("line %d: %q on %q matched %q, want no match", c.Line, c.Regexp, data, got)
					continue
				}
			} else {
				found := false
				for _, g := range got {
					if bytes.Equal(g, []byte(*c.ExpectMatch)) {
						found = true
					}
				}
				if !found {
					t.Errorf("line %d: %q on %q: matches %q, want one equal to %q", c.Line, c.Regexp, data, got, *c.ExpectMatch)
					continue
				}
			}
			pass++
		}
	}
	t.Logf("regexp conformance: %d/%d pass", pass, total)
}
