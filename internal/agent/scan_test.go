package agent_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/scansched"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/yara"
	"github.com/medshield/medshield/rules"
)

// TestScanPathCommandQuarantinesDetection sends "scan-path" to an agent
// scanning with medshield's EICAR rule: the test file is detected, moved to
// quarantine, and the detection reaches the server.
func TestScanPathCommandQuarantinesDetection(t *testing.T) {
	src, err := rules.Yara.ReadFile("yara/eicar.yar")
	if err != nil {
		t.Fatal(err)
	}
	c, err := yara.NewCompiler(yara.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddSource("eicar.yar", "eicar", src); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Rules()
	if err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t)
	state := t.TempDir()
	tok := s.CreateToken(t, "H", "D", 1, "1h")
	cfg, err := agent.Enroll(context.Background(), agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "h"})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quiet(),
		Scanner: scansched.NewYARA(rs, yara.ScanOptions{}), QuarantineDetections: true})
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
	dir := t.TempDir()
	// The EICAR anti-virus test string, assembled so that this source file
	// itself is not detected.
	eicar := `X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
	bad := filepath.Join(dir, "eicar.com")
	os.WriteFile(bad, []byte(eicar), 0o644)
	os.WriteFile(filepath.Join(dir, "clean.txt"), []byte("discharge letter"), 0o644)

	se := s.Login(t, "admin", servertest.AdminPassword)
	var sent struct{ ID string }
	if code := se.Do(t, "POST", "/api/v1/hosts/"+cfg.AgentID+"/commands", map[string]any{"name": "scan-path", "args": map[string]any{"paths": []string{dir}}}, &sent); code != 202 {
		t.Fatalf("send: %d", code)
	}
	var got struct{ Status string }
	waitFor(t, "scan result", 60*time.Second, func() bool {
		se.Do(t, "GET", "/api/v1/commands/"+sent.ID, nil, &got)
		return got.Status == "done" || got.Status == "failed"
	})
	if got.Status != "done" {
		t.Fatalf("scan-path: %s", got.Status)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatalf("detected file not quarantined: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "clean.txt")); err != nil {
		t.Fatal("clean file touched")
	}
	waitFor(t, "detection on the server", 20*time.Second, func() bool {
		n, _ := s.Store.CountEvents(context.Background(), store.EventQuery{Kind: event.KindAlert, HostID: cfg.AgentID})
		return n >= 1
	})
}
