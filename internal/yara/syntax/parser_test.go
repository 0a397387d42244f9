package syntax

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

func TestParseErrorsHavePositions(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing condition", "rule a { strings: $a = \"x\" }", `t.yar:1:28: expected "condition", found "}"`},
		{"bad token", "rule a {\n condition: true and }", `t.yar:2:22: unexpected "}" in condition`},
		{"unterminated text", "rule a { strings: $a = \"abc\n condition: $a }", `t.yar:1:24: text string not terminated`},
		{"top level junk", "foo rule a { condition: true }", `t.yar:1:1: expected rule, import or include, found identifier "foo"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(NewFileSet(), "t.yar", []byte(tt.src))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if got := err.(ErrorList)[0].Error(); got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseRecoversAfterBadRule(t *testing.T) {
	src := "rule a { condition: ( }\nrule b { condition: true }\nprivate rule c { condition: b }"
	f, err := Parse(NewFileSet(), "t.yar", []byte(src))
	if err == nil {
		t.Fatal("want an error for rule a")
	}
	var names []string
	for _, d := range f.Items {
		if r, ok := d.(*Rule); ok {
			names = append(names, r.Name)
		}
	}
	if strings.Join(names, ",") != "b,c" {
		t.Errorf("parsed rules %v, want b,c", names)
	}
}

func TestParseNestingLimit(t *testing.T) {
	src := "rule a { condition: " + strings.Repeat("(", 5000) + "true" + strings.Repeat(")", 5000) + " }"
	_, err := Parse(NewFileSet(), "t.yar", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Fatalf("got %v, want nesting error", err)
	}
}

// TestParseCorpusRules parses every public rule file of the differential
// corpus; all of them compile with yara 4.2.3, so none may fail to parse.
func TestParseCorpusRules(t *testing.T) {
	dir := corpus.Dir(t, "yara/rules")
	n := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ext := strings.ToLower(filepath.Ext(path))
		if ext != ".yar" && ext != ".yara" {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if _, err := Parse(NewFileSet(), path, src); err != nil {
			t.Errorf("%v", err)
		}
		return nil
	})
	t.Logf("parsed %d files", n)
}
