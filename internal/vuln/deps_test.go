package vuln

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineImports keeps the vulnerability engine independent of the
// agent, server, store and console (docs/DESIGN: engines import none of
// them), so the server can embed it and agents can ship it alone.
func TestEngineImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/medshield/medshield/internal/vuln/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/agent", "/internal/server", "/internal/store", "/internal/console"} {
			if strings.Contains(pkg, "github.com/medshield/medshield"+banned) {
				t.Errorf("vuln depends on %s", pkg)
			}
		}
	}
}
