package agent_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/guard"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/store"
)

// TestRansomwareAlertReachesServer runs the agent with the shield on a
// folder; a shell that overwrites a decoy is killed and the alert is stored
// on the server.
func TestRansomwareAlertReachesServer(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on Linux (fanotify)")
	}
	s := servertest.Start(t)
	state := t.TempDir()
	share := filepath.Join(t.TempDir(), "share")
	os.MkdirAll(share, 0o755)
	os.WriteFile(filepath.Join(share, "letter.txt"), []byte("Dear colleague, the patient was discharged today."), 0o644)
	tok := s.CreateToken(t, "H", "D", 1, "1h")
	if _, err := agent.Enroll(context.Background(), agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "ward"}); err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quiet(), Protect: []string{share}, KillRansomware: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var decoy string
	waitFor(t, "decoys placed", 20*time.Second, func() bool {
		ents, _ := os.ReadDir(share)
		for _, e := range ents {
			if guard.IsCanary(e.Name()) {
				decoy = filepath.Join(share, e.Name())
				return true
			}
		}
		return false
	})
	time.Sleep(300 * time.Millisecond) // the source marks the folder right after placing decoys
	sh := exec.Command("sh", "-c", "echo encrypted > '"+decoy+"'; sleep 30")
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- sh.Wait() }()
	select {
	case <-errc:
	case <-time.After(20 * time.Second):
		sh.Process.Kill()
		t.Fatal("the shell writing a decoy was not stopped")
	}
	waitFor(t, "alert on the server", 20*time.Second, func() bool {
		n, _ := s.Store.CountEvents(context.Background(), store.EventQuery{Kind: event.KindAlert, RuleID: "medshield.ransomware"})
		return n == 1
	})
}
