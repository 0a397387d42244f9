package scansched

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/yara"
	"github.com/medshield/medshield/internal/yara/module/modules"
)

func compileStarter(t *testing.T, extra string) *yara.Rules {
	t.Helper()
	c, err := yara.NewCompiler(yara.Options{Modules: modules.List()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddFile(filepath.Join("..", "..", "rules", "yara", "eicar.yar"), "starter"); err != nil {
		t.Fatal(err)
	}
	if extra != "" {
		if err := c.AddSource("extra.yar", "extra", []byte(extra)); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := c.Rules()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestYARAAdapterDetectsEICAR(t *testing.T) {
	root := t.TempDir()
	eicar := `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`
	writeTree(t, root, map[string]string{"eicar.com": eicar, "clean.exe": "MZ nothing here"})
	y := NewYARA(compileStarter(t, ""), yara.ScanOptions{})
	col := newCollector()
	svc, err := New(Config{BytesPerSecond: -1}, y, col.callbacks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := svc.ScanPaths(context.Background(), ScanConfig{Name: "t", Paths: []string{root}}, SourceOnDemand)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Stats.Detected != 1 || len(col.findings) != 1 {
		t.Fatalf("stats %+v, findings %+v", sum.Stats, col.findings)
	}
	d := col.findings[0].Detections[0]
	if d.Rule != "EICAR_Test_File" || d.Namespace != "starter" || d.Meta["severity"] != "10" || len(d.Tags) != 1 || d.Tags[0] != "test" {
		t.Fatalf("detection %+v", d)
	}
	// Same sources, same version; any edit changes it.
	if NewYARA(compileStarter(t, ""), yara.ScanOptions{}).RulesVersion() != y.RulesVersion() {
		t.Fatal("rules version is not stable across compilations")
	}
	if NewYARA(compileStarter(t, "rule x { condition: false }"), yara.ScanOptions{}).RulesVersion() == y.RulesVersion() {
		t.Fatal("rules version did not change with the rules")
	}
}
