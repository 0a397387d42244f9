package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/store"
)

// TestSensorShipsAlertsToServer replays the EternalBlue capture with
// --server: the sensor, enrolled like an agent, ships its alerts through the
// spool and mutual TLS, and the server stores them.
func TestSensorShipsAlertsToServer(t *testing.T) {
	pcap := filepath.Join(corpus.Dir(t, "pcap"), "smb-ms17-010", "eternalblue-success-unpatched-win7.pcap")
	s := servertest.Start(t)
	state := t.TempDir()
	tok := s.CreateToken(t, "Hospital N", "Network", 1, "1h")
	if _, err := agent.Enroll(context.Background(), agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "sensor-1"}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "", "sensor", "--pcap", pcap, "--server", s.URL, "--state", state, "--quiet")
	if code != 0 && code != 1 {
		t.Fatalf("sensor exit %d: %s", code, errOut)
	}
	n, err := s.Store.CountEvents(context.Background(), store.EventQuery{Kind: event.KindAlert, Organization: "Hospital N"})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no sensor alert reached the server; stderr: %s", errOut)
	}
	page, _ := s.Store.QueryEvents(context.Background(), store.EventQuery{Kind: event.KindAlert, Limit: 100})
	found := false
	for _, ev := range page.Events {
		if ev.Rule == nil {
			continue
		}
		if name := strings.ToLower(ev.Rule.Name); strings.Contains(name, "eternalblue") || strings.Contains(name, "ms17-010") {
			found = true
		}
	}
	if !found {
		t.Fatalf("%d alerts stored, none for MS17-010", n)
	}
}
