package archtest

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/medshield/medshield"

type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not on PATH")
	}
	cmd := exec.Command("go", "list", "-deps=false", "-json", module+"/...")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func repoRoot(t *testing.T) string {
	wd, _ := os.Getwd()
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	t.Fatal("go.mod not found")
	return ""
}

// engines are libraries with no knowledge of transport or storage.
var engines = []string{"yara", "sigma", "evtx", "ioc", "pii", "netsense", "vuln", "guard", "event", "wire"}

var forbidden = []string{"internal/agent", "internal/server", "internal/store", "internal/console"}

func TestEnginesImportNoTransportOrStorage(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, module+"/internal/")
		top := strings.SplitN(rel, "/", 2)[0]
		isEngine := false
		for _, e := range engines {
			if top == e {
				isEngine = true
			}
		}
		if !isEngine {
			continue
		}
		cmd := exec.Command("go", "list", "-deps", p.ImportPath)
		cmd.Dir = repoRoot(t)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p.ImportPath, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if dep == module+"/"+f || strings.HasPrefix(dep, module+"/"+f+"/") {
					t.Errorf("engine %s imports %s", p.ImportPath, dep)
				}
			}
		}
	}
}

func TestEveryPackageHasOneDocComment(t *testing.T) {
	fset := token.NewFileSet()
	for _, p := range listPackages(t) {
		if strings.HasSuffix(p.ImportPath, "/cmd/medshield") {
			continue // package main documents itself in main.go, checked below
		}
		docs := 0
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if af.Doc != nil && strings.TrimSpace(af.Doc.Text()) != "" {
				docs++
			}
		}
		switch {
		case docs == 0:
			t.Errorf("%s has no package doc comment", p.ImportPath)
		case docs > 1:
			t.Errorf("%s has %d package doc comments; want exactly one", p.ImportPath, docs)
		}
	}
}
