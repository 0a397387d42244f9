package netsense_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnginesImportNoTransportOrStorage keeps the sensor engine and the
// shared indicator and PII packages free of agent, server, store and
// console code (see docs/DESIGN: engines are plain libraries).
func TestEnginesImportNoTransportOrStorage(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", "github.com/medshield/medshield/internal/netsense/...",
		"github.com/medshield/medshield/internal/ioc", "github.com/medshield/medshield/internal/pii").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/agent", "/internal/server", "/internal/store", "/internal/console"} {
			if strings.Contains(dep, "github.com/medshield/medshield"+banned) {
				t.Errorf("engine depends on %s", dep)
			}
		}
	}
}

// TestEveryPackageHasADocComment checks the package documentation rule.
func TestEveryPackageHasADocComment(t *testing.T) {
	dirs := []string{"../ioc", "../pii"}
	filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() != "testdata" {
			dirs = append(dirs, p)
		}
		return err
	})
	checked := 0
	for _, d := range dirs {
		pkgs, err := parser.ParseDir(token.NewFileSet(), d, nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Fatal(err)
		}
		for name, p := range pkgs {
			if strings.HasSuffix(name, "_test") {
				continue
			}
			doc := false
			for _, f := range p.Files {
				doc = doc || f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package "+name+" ")
			}
			if !doc {
				t.Errorf("package %s (%s) has no package doc comment", name, d)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Errorf("checked only %d packages", checked)
	}
}
