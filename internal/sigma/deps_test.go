package sigma

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineImportsNoServerSide: the engine (and hunt) import nothing from
// agent, server, store or console.
func TestEngineImportsNoServerSide(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/medshield/medshield/internal/sigma/...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/agent", "/internal/server", "/internal/store", "/internal/console"} {
			if strings.Contains(p, "github.com/medshield/medshield"+banned) {
				t.Errorf("sigma depends on %s", p)
			}
		}
	}
}
