package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsers runs every text parser on the same input; none may panic,
// and the login-user list may only contain names from the input.
func FuzzParsers(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*", "*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseOSRelease(bytes.NewReader(data))
		ParseMemTotal(bytes.NewReader(data))
		ParseCPUInfo(bytes.NewReader(data))
		ParseBootTime(bytes.NewReader(data))
		shells, _ := ParseShells(bytes.NewReader(data))
		users, _ := ParseLoginUsers(bytes.NewReader(data), shells)
		for _, u := range users {
			if !bytes.Contains(data, []byte(u)) {
				t.Fatalf("user %q not in input", u)
			}
		}
	})
}
