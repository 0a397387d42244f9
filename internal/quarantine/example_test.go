package quarantine_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/medshield/medshield/internal/quarantine"
)

func Example() {
	tmp, _ := os.MkdirTemp("", "quarantine-example")
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "invoice.pdf.exe")
	os.WriteFile(path, []byte("not really malware"), 0o755)

	s, err := quarantine.Open(filepath.Join(tmp, "store"))
	if err != nil {
		panic(err)
	}
	rec, err := s.Quarantine(path, quarantine.Reason{Rule: "default:Suspicious_Double_Extension", Source: "scan"})
	if err != nil {
		panic(err)
	}
	_, statErr := os.Stat(path)
	fmt.Println("gone from its folder:", os.IsNotExist(statErr))
	fmt.Println("size:", rec.Size, "sha256:", rec.SHA256[:16])

	if err := s.Restore(rec.ID, ""); err != nil {
		panic(err)
	}
	b, _ := os.ReadFile(path)
	fmt.Printf("restored: %q\n", b)
	// Output:
	// gone from its folder: true
	// size: 18 sha256: 35ffa58331e2edd5
	// restored: "not really malware"
}
