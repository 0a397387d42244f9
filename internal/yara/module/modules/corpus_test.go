package modules_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/yara"
	"github.com/medshield/medshield/internal/yara/module/modules"
)

var moduleImport = regexp.MustCompile(`import\s+"(pe|elf|math|hash|time|console)"`)

// moduleRuleFiles returns the corpus rule files that import our modules.
func moduleRuleFiles(t testing.TB) []string {
	var files []string
	root := corpus.Dir(t, "yara/rules")
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !(strings.HasSuffix(p, ".yar") || strings.HasSuffix(p, ".yara")) {
			return nil
		}
		if src, err := os.ReadFile(p); err == nil && moduleImport.Match(src) {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// TestCorpusRulesCompile compiles every public rule file of the corpus that
// imports one of our modules (all of them compile with yara 4.2.3): each
// field and function they use must exist in our schemas with YARA's types.
func TestCorpusRulesCompile(t *testing.T) {
	files := moduleRuleFiles(t)
	if len(files) == 0 {
		t.Fatal("no rule file imports a module")
	}
	for _, p := range files {
		src, _ := os.ReadFile(p)
		comp, err := yara.NewCompiler(yara.Options{Modules: modules.List()})
		if err != nil {
			t.Fatal(err)
		}
		comp.AddSource(p, "", src)
		if _, err := comp.Rules(); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	t.Logf("%d rule files with module imports compiled", len(files))
}
