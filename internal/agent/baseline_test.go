package agent_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/store"
)

// TestBaselineReachesConsole evaluates the embedded baseline on this host
// and finds its score and failed checks on the console host page.
func TestBaselineReachesConsole(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the embedded Linux baselines apply to Linux hosts")
	}
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
	waitFor(t, "baseline result", 60*time.Second, func() bool {
		n, _ := s.Store.CountEvents(context.Background(), store.EventQuery{HostID: cfg.AgentID, Kind: event.KindState,
			Fields: map[string]string{"event.dataset": "host.baseline"}})
		return n >= 1
	})
	se := s.Login(t, "admin", servertest.AdminPassword)
	resp, err := se.Client.Get(s.URL + "/hosts/" + cfg.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Security baseline") || !strings.Contains(string(body), "%") {
		t.Fatalf("host page lacks the baseline section")
	}
}
