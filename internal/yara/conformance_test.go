package yara

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/yara/module"
)

type confCase struct {
	File          string `json:"file"`
	Line          int    `json:"line"`
	Kind          string `json:"kind"`
	Macro         string `json:"macro"`
	Transcribable bool   `json:"transcribable"`
	Rule          string `json:"rule"`
	Error         string `json:"error"`
	DataKind      string `json:"data_kind"`
	Data          string `json:"data"`
	DataHex       string `json:"data_hex"`
	Count         string `json:"count"`
}

type confDoc struct {
	Harness struct {
		Externals map[string]any `json:"externals"`
	} `json:"harness"`
	Cases []confCase        `json:"cases"`
	Blobs map[string]string `json:"blobs"`
}

func loadConformance(t *testing.T) *confDoc {
	dir := corpus.Dir(t, "yara/conformance")
	raw, err := os.ReadFile(filepath.Join(dir, "yara-v4.2.3-test-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc confDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}

var importRe = regexp.MustCompile(`import\s+"([a-z_]+)"`)

// confSkip says why a case cannot run here, or "".
func confSkip(c confCase, have map[string]bool) string {
	if !c.Transcribable {
		return "needs C-level harness"
	}
	switch c.Kind {
	case "regexp_match", "regexp_no_match", "regexp_syntax_error":
		return "run by internal/yara/re"
	}
	if c.File == "tests/test-api.c" {
		return "needs yr_set_configuration"
	}
	if c.DataKind == "file" {
		return "needs tests/data files"
	}
	for _, m := range importRe.FindAllStringSubmatch(c.Rule, -1) {
		if !have[m[1]] {
			return "module " + m[1] + " not provided"
		}
	}
	return ""
}

func confExternals(doc *confDoc) map[string]any {
	ext := map[string]any{}
	for k, v := range doc.Harness.Externals {
		switch x := v.(type) {
		case float64:
			ext[k] = int64(x)
		default:
			ext[k] = x
		}
	}
	return ext
}

// TestConformanceRules runs the transcribed assertions of YARA v4.2.3's
// own test suite that need no C harness, test files or missing modules.
func TestConformanceRules(t *testing.T) {
	doc := loadConformance(t)
	mods := append(testModules(), testsModule{})
	have := map[string]bool{}
	for _, m := range mods {
		have[m.Name()] = true
	}
	ext := confExternals(doc)
	pass, fail := 0, 0
	skipped := map[string]int{}
	for _, c := range doc.Cases {
		if why := confSkip(c, have); why != "" {
			skipped[why]++
			continue
		}
		ok, detail := runConfCase(c, doc, mods, ext)
		if ok {
			pass++
			continue
		}
		fail++
		t.Errorf("%s:%d %s: %s\n  rule: %s", c.File, c.Line, c.Kind, detail, c.Rule)
	}
	t.Logf("rule conformance: %d pass, %d fail, skipped %v", pass, fail, skipped)
}

func runConfCase(c confCase, doc *confDoc, mods []module.Module, ext map[string]any) (bool, string) {
	comp, err := NewCompiler(Options{Modules: mods, Externals: ext})
	if err != nil {
		return false, err.Error()
	}
	comp.AddSource("test.yar", "", []byte(c.Rule))
	rs, cerr := comp.Rules()
	if c.Kind == "compile_error" {
		if c.Error == "ERROR_SUCCESS" {
			return cerr == nil, "unexpected error: " + errString(cerr)
		}
		return cerr != nil, "compiled, want " + c.Error
	}
	if cerr != nil {
		return false, "compile: " + cerr.Error()
	}
	switch c.Kind {
	case "warning":
		return len(comp.Warnings()) > 0, "no warning"
	case "no_warning":
		return len(comp.Warnings()) == 0, "unexpected warnings: " + errString(comp.Warnings().Err())
	}
	var data []byte
	switch c.DataKind {
	case "blob":
		data, _ = hex.DecodeString(doc.Blobs[c.Data])
	default:
		data, _ = hex.DecodeString(c.DataHex)
	}
	res, err := rs.Scan(context.Background(), data, nil)
	if err != nil {
		return false, "scan: " + err.Error()
	}
	switch c.Kind {
	case "match":
		return len(res) > 0, "no match"
	case "no_match":
		return len(res) == 0, "unexpected match"
	case "match_count":
		want, _ := strconv.Atoi(c.Count)
		return len(res) == want, "got " + strconv.Itoa(len(res)) + " matches, want " + c.Count
	}
	return false, "unknown kind " + c.Kind
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
