package evtx

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

// xtree is a parsed XML element for structural comparison.
type xtree struct {
	name     string
	attrs    []string // name=normalised value, in document order
	text     string   // normalised, whitespace between elements dropped
	children []*xtree
}

func parseXTree(data []byte) (*xtree, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*xtree
	var root *xtree
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xtree{name: t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Local == "xmlns" || a.Name.Space == "xmlns" {
					continue
				}
				n.attrs = append(n.attrs, fmt.Sprintf("%s=%v", a.Name.Local, normalise(a.Value)))
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			// Whitespace between elements is indentation; libevtx also drops
			// whitespace-only values (see TestFlatViewMatchesReference).
			if strings.TrimSpace(n.text) == "" {
				n.text = ""
			}
			n.text = fmt.Sprint(normalise(n.text))
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
}

func (x *xtree) String() string {
	var b strings.Builder
	var walk func(*xtree, int)
	walk = func(n *xtree, d int) {
		fmt.Fprintf(&b, "%s%s %v %q\n", strings.Repeat("  ", d), n.name, n.attrs, n.text)
		for _, c := range n.children {
			walk(c, d+1)
		}
	}
	walk(x, 0)
	return b.String()
}

// TestXMLMatchesLibevtx parses our XML and libevtx's (reference/xml, first
// 50 records) and compares element structure, attributes and text under
// the normalisations of TestFlatViewMatchesReference. Reference records that
// are not well-formed XML (raw control characters) are skipped and counted.
func TestXMLMatchesLibevtx(t *testing.T) {
	dir := corpus.Dir(t, "evtx")
	rows := readTSV(t, filepath.Join(dir, "reference", "counts.tsv"))
	compared, unparsable := 0, 0
	for _, row := range rows {
		rel := row["file"]
		raw := gunzip(t, filepath.Join(dir, "reference", "xml", rel+".libevtx.xml.gz"))
		parts := strings.Split(string(raw), "<Event xmlns")
		ours := readRecords(t, filepath.Join(dir, "samples", rel), 80)
		for i, p := range parts[1:] {
			want, err := parseXTree([]byte("<Event xmlns" + p))
			if err != nil {
				unparsable++
				continue
			}
			id := ""
			for _, c := range want.children {
				if c.name == "System" {
					for _, e := range c.children {
						if e.name == "EventRecordID" {
							id = e.text
						}
					}
				}
			}
			rec := ours.match(t, i, map[string]any{SectionSystem: map[string]any{"EventRecordID": id}})
			if rec == nil {
				continue
			}
			x, err := rec.XML()
			if err != nil {
				t.Errorf("%s record %d: %v", rel, i, err)
				continue
			}
			got, err := parseXTree(x)
			if err != nil {
				t.Errorf("%s record %d: our XML is not well-formed: %v\n%s", rel, i, err, x)
				continue
			}
			compared++
			if got.String() != want.String() {
				t.Errorf("%s record %d (EventRecordID %s) differs:\nours:\n%s\nlibevtx:\n%s", rel, i, id, got, want)
			}
		}
	}
	t.Logf("%d records compared, %d reference records not well-formed XML", compared, unparsable)
	if compared < 2000 {
		t.Errorf("only %d records compared", compared)
	}
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil // empty reference
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
