package modules_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/yara"
	"github.com/medshield/medshield/internal/yara/module/modules"
)

// TestConformanceModules runs, through the engine, every transcribable
// assertion of YARA 4.2.3's own test suite that imports one of our modules
// (tests/test-pe.c, test-elf.c, test-math.c, ... with their embedded test
// files), so the modules are checked end to end with the rules YARA uses.
func TestConformanceModules(t *testing.T) {
	dir := corpus.Dir(t, "yara/conformance")
	raw, err := os.ReadFile(filepath.Join(dir, "yara-v4.2.3-test-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			File          string `json:"file"`
			Line          int    `json:"line"`
			Kind          string `json:"kind"`
			Transcribable bool   `json:"transcribable"`
			Rule          string `json:"rule"`
			DataKind      string `json:"data_kind"`
			Data          string `json:"data"`
			DataHex       string `json:"data_hex"`
		} `json:"cases"`
		Blobs map[string]string `json:"blobs"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, m := range modules.List() {
		ours[m.Name()] = true
	}
	importRe := regexp.MustCompile(`import\s+"([a-z_]+)"`)
	ran := 0
	for _, c := range doc.Cases {
		imps := importRe.FindAllStringSubmatch(c.Rule, -1)
		if !c.Transcribable || len(imps) == 0 || (c.Kind != "match" && c.Kind != "no_match") || c.DataKind == "file" {
			continue
		}
		usable := true
		for _, m := range imps {
			usable = usable && ours[m[1]]
		}
		if !usable {
			continue
		}
		ran++
		var data []byte
		if c.DataKind == "blob" {
			data, _ = hex.DecodeString(doc.Blobs[c.Data])
		} else {
			data, _ = hex.DecodeString(c.DataHex)
		}
		comp, err := yara.NewCompiler(yara.Options{Modules: modules.List()})
		if err != nil {
			t.Fatal(err)
		}
		comp.AddSource("test.yar", "", []byte(c.Rule))
		rs, err := comp.Rules()
		if err != nil {
			t.Errorf("%s:%d: compile: %v\n  rule: %s", c.File, c.Line, err, c.Rule)
			continue
		}
		res, err := rs.Scan(context.Background(), data, nil)
		if err != nil {
			t.Errorf("%s:%d: scan: %v", c.File, c.Line, err)
			continue
		}
		if got := len(res) > 0; got != (c.Kind == "match") {
			t.Errorf("%s:%d: %s expected, got matched=%v\n  rule: %s\n  data: %s", c.File, c.Line, c.Kind, got, strings.TrimSpace(c.Rule), c.Data)
		}
	}
	if ran == 0 {
		t.Fatal("no module conformance case ran")
	}
	t.Logf("%d module conformance cases run", ran)
}
