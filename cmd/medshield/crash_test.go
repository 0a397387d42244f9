package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/agent/upload"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/pki"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/sqlite"
	"github.com/medshield/medshield/internal/tamper"
)

const crashEvents = 100000

// child starts the test binary as the real medshield command.
func child(t *testing.T, logName string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MEDSHIELD_TEST_MAIN=1", "MEDSHIELD_ADMIN_PASSWORD=Crash-Test-Password-1")
	logf, err := os.Create(filepath.Join(t.TempDir(), logName))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		logf.Close()
	})
	return cmd
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(url + "/api/v1/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server at %s did not become healthy", url)
}

func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// spoolCrashEvents appends the test events to an agent's spool, 1,000 per
// durable append.
func spoolCrashEvents(t *testing.T, ag *agent.Agent) {
	t.Helper()
	for i := 0; i < crashEvents; i += 1000 {
		evs := make([]event.Event, 1000)
		for j := range evs {
			evs[j] = event.New(event.KindEvent, "test.crash", "tick")
			evs[j].Message = fmt.Sprintf("crash test event %d", i+j)
		}
		if err := ag.Emit(evs...); err != nil {
			t.Fatal(err)
		}
	}
}

func crashCount(t *testing.T, st store.Store) int64 {
	n, err := st.CountEvents(context.Background(), store.EventQuery{Fields: map[string]string{"event.dataset": "test.crash"}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestServerSIGKILLDuringUploadLosesNothing kills the server process while an
// agent uploads 100,000 events, restarts it, and checks that exactly
// 100,000 distinct events are stored and the agent's spool is empty.
func TestServerSIGKILLDuringUploadLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	url := "https://" + addr
	srv := child(t, "server1.log", "server", "--data", dir, "--listen", addr)
	waitHealthy(t, url)

	code, tok, errOut := runCLI(t, "", "token", "create", "--data", dir, "--hospital", "Crash Hospital")
	if code != 0 {
		t.Fatalf("token: %s", errOut)
	}
	ca, _, err := pki.ReadCert(filepath.Join(dir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	ctx := context.Background()
	if _, err := agent.Enroll(ctx, agent.EnrollOptions{Server: url, Token: strings.TrimSpace(tok), CAFingerprint: pki.Fingerprint(ca.Raw), StateDir: state, HostName: "crash"}); err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quietLog(),
		Upload: upload.Options{BackoffBase: 50 * time.Millisecond, BackoffMax: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	spoolCrashEvents(t, ag)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ag.Run(runCtx) }()

	// Kill the server once a good part has been acknowledged.
	waitUntil(t, "a third of the events uploaded", 2*time.Minute, func() bool { return ag.Spool().Stats().Records < crashEvents*2/3 })
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	left := ag.Spool().Stats().Records
	t.Logf("server killed with %d records still spooled", left)
	if left == 0 {
		t.Fatal("upload finished before the kill; the test proves nothing")
	}
	srv2 := child(t, "server2.log", "server", "--data", dir, "--listen", addr)
	waitHealthy(t, url)
	waitUntil(t, "the spool to drain", 3*time.Minute, func() bool { return ag.Spool().Stats().Records == 0 })
	cancel()
	<-done
	srv2.Process.Signal(syscall.SIGTERM)
	srv2.Wait()

	st, err := sqlite.Open(ctx, filepath.Join(dir, "medshield.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n := crashCount(t, st); n != crashEvents {
		t.Fatalf("stored %d distinct events, want exactly %d", n, crashEvents)
	}
}

// TestAgentSIGKILLDuringUploadLosesNothing kills the agent process mid-upload
// and restarts it: the server ends with exactly the 100,000 events and the
// agent's spool is empty.
func TestAgentSIGKILLDuringUploadLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	s := servertest.Start(t)
	state := t.TempDir()
	ctx := context.Background()
	tok := s.CreateToken(t, "Crash Hospital", "", 1, "1h")
	if _, err := agent.Enroll(ctx, agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "crash"}); err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	spoolCrashEvents(t, ag)
	if err := ag.Spool().Close(); err != nil {
		t.Fatal(err)
	}

	a1 := child(t, "agent1.log", "agent", "run", "--state", state)
	waitUntil(t, "some events stored", 2*time.Minute, func() bool { return crashCount(t, s.Store) >= crashEvents/4 })
	if err := a1.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a1.Wait()
	mid := crashCount(t, s.Store)
	t.Logf("agent killed with %d events stored", mid)
	if mid == crashEvents {
		t.Fatal("upload finished before the kill; the test proves nothing")
	}
	a2 := child(t, "agent2.log", "agent", "run", "--state", state)
	waitUntil(t, "all events stored", 3*time.Minute, func() bool { return crashCount(t, s.Store) == crashEvents })
	time.Sleep(time.Second) // let the acknowledgement of the last batch land
	// Tamper protection: a plain SIGTERM is refused and reported...
	// (had it stopped, its pid file would be gone and 'agent stop' below
	// would fail).
	a2.Process.Signal(syscall.SIGTERM)
	waitUntil(t, "refused-stop alert", 30*time.Second, func() bool {
		n, _ := s.Store.CountEvents(context.Background(), store.EventQuery{Kind: event.KindAlert, Text: "refused to stop"})
		return n >= 1
	})
	// ...and a stop code issued by the server stops it cleanly.
	cfg, err := agent.LoadConfig(state)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := s.Store.GetSetting(ctx, "tamper-secret:"+cfg.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	code, err := tamper.NewCode(secret, cfg.AgentID, tamper.ActionStop, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c, out, errOut := runCLI(t, "", "agent", "stop", "--state", state, "--code", "WRONG-CODE-0000"); c == 0 {
		t.Fatalf("a wrong code stopped the agent: %s %s", out, errOut)
	}
	if c, out, errOut := runCLI(t, "", "agent", "stop", "--state", state, "--code", tamper.Format(code)); c != 0 {
		t.Fatalf("agent stop: %d %s %s", c, out, errOut)
	}
	if err := a2.Wait(); err != nil {
		t.Fatalf("agent did not stop cleanly: %v", err)
	}
	if c, _, _ := runCLI(t, "", "agent", "uninstall", "--state", state); c == 0 {
		t.Fatal("uninstall without a code succeeded on a protected agent")
	}
	if n := crashCount(t, s.Store); n != crashEvents {
		t.Fatalf("stored %d, want exactly %d", n, crashEvents)
	}
	ag2, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer ag2.Spool().Close()
	if n := ag2.Spool().Stats().Records; n != 0 {
		t.Fatalf("agent spool holds %d records after a clean stop, want 0", n)
	}
}
