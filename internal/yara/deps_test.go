package yara

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineImportsNoServerSide checks the layering rule: the engine
// imports nothing from agent, server, store or console.
func TestEngineImportsNoServerSide(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/medshield/medshield/internal/yara/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, bad := range []string{"/internal/agent", "/internal/server", "/internal/store", "/internal/console"} {
			if strings.Contains(p, "github.com/medshield/medshield"+bad) {
				t.Errorf("internal/yara depends on %s", p)
			}
		}
	}
}
