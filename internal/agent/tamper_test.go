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
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/store"
)

// TestTamperingWithStateIsReported loosens the agent key's permissions and
// drops a file into the state directory: both reach the server as alerts
// and the key's mode is repaired.
func TestTamperingWithStateIsReported(t *testing.T) {
	s := servertest.Start(t)
	state := t.TempDir()
	tok := s.CreateToken(t, "H", "D", 1, "1h")
	cfg, err := agent.Enroll(context.Background(), agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "h"})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quiet(), TamperProtection: true})
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
	time.Sleep(time.Second) // the watcher sets its watches after the start-up check
	key := filepath.Join(state, "agent.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(state, "implant.sh"), []byte("#!/bin/sh\n"), 0o755)
	waitFor(t, "tamper alerts", 20*time.Second, func() bool {
		n, _ := s.Store.CountEvents(context.Background(), store.EventQuery{Kind: event.KindAlert, HostID: cfg.AgentID})
		return n >= 2
	})
	waitFor(t, "key mode repaired", 10*time.Second, func() bool {
		st, err := os.Stat(key)
		return err == nil && st.Mode().Perm() == 0o600
	})
}
