//go:build linux

package yara

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestScanProcessFindsMarkerInOwnMemory scans this test process's memory
// for a marker built at run time (so it is not in the binary's data).
func TestScanProcessFindsMarkerInOwnMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the whole process memory")
	}
	// The rule is a hex string (text in the rule source, byte classes once
	// compiled), so the marker's raw bytes exist only in the marker itself.
	marker := []byte("medshield-")
	marker = append(marker, []byte("procmem-marker-7c41")...)
	var hexs []string
	for i, b := range marker {
		h := fmt.Sprintf("%02X", b)
		if i == len(marker)-1 {
			h = h[:1] + "?"
		}
		hexs = append(hexs, h)
	}
	rs := compileT(t, "rule m { strings: $a = { "+strings.Join(hexs, " ")+" } condition: $a }", Options{})
	res, err := rs.ScanProcess(context.Background(), os.Getpid(), nil)
	runtime.KeepAlive(marker)
	if err != nil {
		t.Skipf("process memory not readable here: %v", err)
	}
	if len(res) != 1 || res[0].Rule.Name != "m" {
		t.Fatalf("got %d matches, want rule m", len(res))
	}
}
