package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/server/servertest"
)

// TestResponseCommandsThroughServer sends kill-process, quarantine-file and
// restore-file from the console API to a running agent and checks their
// effect on the host and the results that come back.
func TestResponseCommandsThroughServer(t *testing.T) {
	s := servertest.Start(t)
	state := t.TempDir()
	tok := s.CreateToken(t, "H", "D", 1, "1h")
	cfg, err := agent.Enroll(context.Background(), agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "h"})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}()
	se := s.Login(t, "admin", servertest.AdminPassword)
	send := func(name string, args any) map[string]any {
		t.Helper()
		var sent struct{ ID string }
		if code := se.Do(t, "POST", "/api/v1/hosts/"+cfg.AgentID+"/commands", map[string]any{"name": name, "args": args}, &sent); code != 202 {
			t.Fatalf("send %s: %d", name, code)
		}
		var got struct {
			Status string
			Result json.RawMessage
		}
		waitFor(t, name+" result", 30*time.Second, func() bool {
			se.Do(t, "GET", "/api/v1/commands/"+sent.ID, nil, &got)
			return got.Status == "done" || got.Status == "failed"
		})
		var res map[string]any
		json.Unmarshal(got.Result, &res)
		if got.Status != "done" {
			t.Fatalf("%s failed: %s", name, got.Result)
		}
		return res
	}

	// kill-process
	victim := exec.Command("sleep", "120")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { victim.Wait(); close(exited) }()
	send("kill-process", map[string]any{"pid": victim.Process.Pid})
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		victim.Process.Kill()
		t.Fatal("kill-process did not kill the process")
	}

	// quarantine-file, then restore-file
	file := filepath.Join(t.TempDir(), "invoice.exe")
	content := []byte("MZ this pretends to be a dropper")
	os.WriteFile(file, content, 0o755)
	res := send("quarantine-file", map[string]any{"path": file, "rule": "test:dropper"})
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("file still in place after quarantine: %v", err)
	}
	inner, _ := res["result"].(map[string]any)
	rec, _ := inner["record"].(map[string]any)
	id, _ := rec["id"].(string)
	if id == "" {
		b, _ := json.Marshal(res)
		t.Fatalf("no quarantine id in %s", b)
	}
	listed := send("list-quarantine", nil)
	if recs, _ := listed["records"].([]any); len(recs) != 1 {
		t.Fatalf("list-quarantine: %v", listed)
	}
	send("restore-file", map[string]any{"id": id})
	if got, err := os.ReadFile(file); err != nil || string(got) != string(content) {
		t.Fatalf("restored %q, %v", got, err)
	}
	// collect-file returns the content and its hash.
	col := send("collect-file", map[string]any{"path": file})
	ci, _ := col["result"].(map[string]any)
	if ci["sha256"] == nil || ci["content_base64"] != "TVogdGhpcyBwcmV0ZW5kcyB0byBiZSBhIGRyb3BwZXI=" {
		b, _ := json.Marshal(col)
		t.Fatalf("collect-file: %s", b)
	}
	// quarantine again, then delete-quarantined (admin).
	res = send("quarantine-file", map[string]any{"path": file})
	inner, _ = res["result"].(map[string]any)
	rec, _ = inner["record"].(map[string]any)
	id, _ = rec["id"].(string)
	send("delete-quarantined", map[string]any{"id": id})
	listed = send("list-quarantine", nil)
	if recs, _ := listed["records"].([]any); len(recs) != 0 {
		t.Fatalf("after delete-quarantined: %v", listed)
	}
	// Unknown commands are refused by the server.
	if code := se.Do(t, "POST", "/api/v1/hosts/"+cfg.AgentID+"/commands", map[string]any{"name": "bogus"}, nil); code != 400 {
		t.Fatalf("bogus command: %d", code)
	}
}
