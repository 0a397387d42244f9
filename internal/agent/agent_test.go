package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/store"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAgentDeliversEventsHeartbeatsAndCommands(t *testing.T) {
	s := servertest.Start(t)
	state := t.TempDir()
	tok := s.CreateToken(t, "Hospital B", "Pharmacy", 1, "1h")
	cfg, err := agent.Enroll(context.Background(), agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "pharm-01"})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(state, "agent.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("agent key permissions: %v %v", st.Mode(), err)
	}
	ag, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quiet(), HeartbeatEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Events emitted before Run are spooled and delivered once it starts.
	for i := 0; i < 50; i++ {
		ev := event.New(event.KindEvent, "test.agent", "tick")
		ev.Message = fmt.Sprintf("tick %d", i)
		if err := ag.Emit(ev); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("run: %v", err)
		}
	}()
	bg := context.Background()
	waitFor(t, "50 events stored", 20*time.Second, func() bool {
		n, _ := s.Store.CountEvents(bg, store.EventQuery{Fields: map[string]string{"event.dataset": "test.agent"}})
		return n == 50
	})
	waitFor(t, "inventory and heartbeat", 20*time.Second, func() bool {
		a, err := s.Store.GetAgent(bg, cfg.AgentID)
		return err == nil && len(a.Inventory) > 0 && !a.LastSeen.IsZero() && a.Version == "test"
	})
	// A ping from the console reaches the agent by long poll and its result
	// comes back.
	se := s.Login(t, "admin", servertest.AdminPassword)
	var sent struct{ ID string }
	if code := se.Do(t, "POST", "/api/v1/hosts/"+cfg.AgentID+"/commands", map[string]string{"name": "ping"}, &sent); code != 202 {
		t.Fatalf("send ping: %d", code)
	}
	var got struct {
		Status string
		Result json.RawMessage
	}
	waitFor(t, "ping result", 20*time.Second, func() bool {
		se.Do(t, "GET", "/api/v1/commands/"+sent.ID, nil, &got)
		return got.Status == "done"
	})
	var res map[string]any
	if err := json.Unmarshal(got.Result, &res); err != nil || res["pong"] != true {
		t.Fatalf("ping result %s", got.Result)
	}
	// Unknown commands are refused by the server, not delivered.
	if code := se.Do(t, "POST", "/api/v1/hosts/"+cfg.AgentID+"/commands", map[string]string{"name": "format-c"}, nil); code != 400 {
		t.Fatalf("unknown command: %d", code)
	}
	waitFor(t, "spool drained", 10*time.Second, func() bool { return ag.Spool().Stats().Records == 0 })
}

func TestAgentKeepsEventsWhileServerIsDown(t *testing.T) {
	s := servertest.Start(t)
	state := t.TempDir()
	tok := s.CreateToken(t, "H", "D", 1, "1h")
	if _, err := agent.Enroll(context.Background(), agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "h"}); err != nil {
		t.Fatal(err)
	}
	s.Stop() // the server goes away; the agent must keep everything
	ag, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	for i := 0; i < 100; i++ {
		if err := ag.Emit(event.New(event.KindEvent, "test.down", "tick")); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	cancel()
	<-done
	// Reopen: the 100 events (plus the inventory) are still spooled.
	ag2, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer ag2.Spool().Close()
	if n := ag2.Spool().Stats().Records; n < 100 {
		t.Fatalf("spool holds %d records after the server was down, want >= 100", n)
	}
}
