package scansched

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

const marker = "MEDSHIELD-TEST-MARKER"

// fakeScanner flags files containing marker and counts what it scanned.
type fakeScanner struct {
	mu      sync.Mutex
	version string
	scanned map[string]int
}

func newFake(version string) *fakeScanner {
	return &fakeScanner{version: version, scanned: map[string]int{}}
}

func (f *fakeScanner) Scan(ctx context.Context, name string, data []byte) ([]Detection, error) {
	f.mu.Lock()
	f.scanned[name]++
	f.mu.Unlock()
	if bytes.Contains(data, []byte(marker)) {
		return []Detection{{Rule: "Test_Marker", Namespace: "test", Tags: []string{"t"}, Meta: map[string]string{"author": "tests"}}}, nil
	}
	return nil, nil
}

func (f *fakeScanner) RulesVersion() string { return f.version }

func (f *fakeScanner) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.scanned {
		n += c
	}
	return n
}

// collector records callbacks.
type collector struct {
	mu        sync.Mutex
	findings  []Finding
	summaries []Summary
	progress  int
	found     chan Finding
}

func newCollector() *collector { return &collector{found: make(chan Finding, 100)} }

func (c *collector) callbacks() Callbacks {
	return Callbacks{
		Finding: func(f Finding) {
			c.mu.Lock()
			c.findings = append(c.findings, f)
			c.mu.Unlock()
			select {
			case c.found <- f:
			default:
			}
		},
		Progress: func(Progress) { c.mu.Lock(); c.progress++; c.mu.Unlock() },
		Summary:  func(s Summary) { c.mu.Lock(); c.summaries = append(c.summaries, s); c.mu.Unlock() },
	}
}

// detected returns the paths with detections, relative to root, sorted.
func (c *collector) detected(t *testing.T, root string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, f := range c.findings {
		if f.Err != nil {
			t.Errorf("finding error: %v", f.Err)
			continue
		}
		rel, _ := filepath.Rel(root, f.Path)
		out = append(out, filepath.ToSlash(rel))
	}
	sort.Strings(out)
	return out
}

// writeTree creates files (relative path -> content) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fakeScanner) times(p string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scanned[p]
}
