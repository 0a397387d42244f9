package scansched_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medshield/medshield/internal/scansched"
)

// markerScanner stands in for an engine: it flags files containing "EVIL".
type markerScanner struct{}

func (markerScanner) Scan(_ context.Context, _ string, data []byte) ([]scansched.Detection, error) {
	if bytes.Contains(data, []byte("EVIL")) {
		return []scansched.Detection{{Rule: "Contains_EVIL", Namespace: "example"}}, nil
	}
	return nil, nil
}

func (markerScanner) RulesVersion() string { return "example-1" }

// A scan on demand with the default throttling (one low-priority worker,
// 16 MiB/s). The agent uses NewYARA(rules, opts) as the Scanner and calls
// Run for scheduled and on-access scans.
func Example() {
	dir, _ := os.MkdirTemp("", "scansched-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "a.exe"), []byte("MZ...EVIL..."), 0o644)
	os.WriteFile(filepath.Join(dir, "b.exe"), []byte("MZ...fine..."), 0o644)

	svc, err := scansched.New(scansched.Config{}, markerScanner{}, scansched.Callbacks{
		Finding: func(f scansched.Finding) {
			fmt.Println("detected:", filepath.Base(f.Path), f.Detections[0].Rule)
		},
	}, nil)
	if err != nil {
		panic(err)
	}
	sum, _ := svc.ScanPaths(context.Background(), scansched.ScanConfig{Paths: []string{dir}}, scansched.SourceOnDemand)
	fmt.Println("files:", sum.Stats.Files, "detected:", sum.Stats.Detected)
	// Output:
	// detected: a.exe Contains_EVIL
	// files: 2 detected: 1
}
