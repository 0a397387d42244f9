package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/quarantine"
)

func TestQuarantineCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "q")
	s, err := quarantine.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	var ids []string
	for _, name := range []string{"a.exe", "b.doc"} {
		p := filepath.Join(files, name)
		os.WriteFile(p, []byte("content of "+name), 0o644)
		r, err := s.Quarantine(p, quarantine.Reason{Rule: "test:" + name, Source: "scan"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}

	code, out, errOut := runCLI(t, "", "quarantine", "list", "--dir", dir)
	if code != 0 || !strings.Contains(out, ids[0]) || !strings.Contains(out, "test:b.doc") || !strings.Contains(out, filepath.Join(files, "a.exe")) {
		t.Fatalf("list: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "quarantine", "list", "--dir", dir, "--format", "jsonl")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var rec quarantine.Record
	if code != 0 || len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &rec) != nil || rec.ID != ids[1] {
		t.Fatalf("list jsonl: exit %d\n%s", code, out)
	}

	// Flags after the id work too; an existing file is not overwritten.
	os.WriteFile(filepath.Join(files, "a.exe"), []byte("new"), 0o644)
	if code, _, errOut := runCLI(t, "", "quarantine", "restore", ids[0], "--dir", dir); code == 0 || !strings.Contains(errOut, "exists") {
		t.Errorf("restore over existing file: exit %d, %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "quarantine", "restore", ids[0], "--dir", dir, "--overwrite")
	if b, _ := os.ReadFile(filepath.Join(files, "a.exe")); code != 0 || string(b) != "content of a.exe" {
		t.Errorf("restore --overwrite: exit %d, file %q\n%s%s", code, b, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "quarantine", "delete", "--dir", dir, ids[1], "0190ffff-0000-7000-8000-000000000000")
	if code == 0 || !strings.Contains(out, "deleted "+ids[1]) || !strings.Contains(errOut, "1 of 2 not deleted") {
		t.Errorf("delete: exit %d\n%s%s", code, out, errOut)
	}
	if recs, _ := s.List(); len(recs) != 0 {
		t.Errorf("%d records left", len(recs))
	}
	for _, args := range [][]string{{"quarantine", "restore", "--dir", dir}, {"quarantine", "delete", "--dir", dir}, {"quarantine", "list", "x", "--dir", dir}} {
		if code, _, _ := runCLI(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want usage error 2", args, code)
		}
	}
	// A missing store is reported, never created.
	missing := filepath.Join(t.TempDir(), "nope")
	if code, _, errOut := runCLI(t, "", "quarantine", "list", "--dir", missing); code != 0 || !strings.Contains(errOut, "no quarantine store") {
		t.Errorf("list of a missing store: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "quarantine", "delete", "--dir", missing, ids[0]); code != 1 || !strings.Contains(errOut, "no quarantine store") {
		t.Errorf("delete in a missing store: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a command created the missing store")
	}
	for _, sub := range []string{"list", "restore", "delete"} {
		if code, out, _ := runCLI(t, "", "quarantine", sub, "--help"); code != 0 || !strings.Contains(out, "Usage: medshield quarantine "+sub) {
			t.Errorf("%s --help: exit %d\n%s", sub, code, out)
		}
	}
}
