// Package posturetest builds the fixtures posture tests share: a tiny OSV
// database imported the way `medshield vuln db import` does, a real test
// server with the posture detector, and enrolled agents that post
// host.packages events over the agent wire protocol. Only tests import it.
package posturetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/posture"
	"github.com/medshield/medshield/internal/server"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/vuln/osv"
	"github.com/medshield/medshield/internal/wire"
)

// Record is a minimal OSV record for one package in one ecosystem.
type Record struct {
	ID, CVE, Ecosystem, Package, Fixed, CVSS string
}

// JSON renders the record in OSV schema 1.7.
func (r Record) JSON() []byte {
	v := map[string]any{
		"schema_version": "1.7.0", "id": r.ID, "modified": "2026-01-01T00:00:00Z", "published": "2026-01-01T00:00:00Z",
		"summary": r.Package + ": test advisory " + r.ID,
		"affected": []any{map[string]any{
			"package": map[string]any{"ecosystem": r.Ecosystem, "name": r.Package},
			"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": []any{
				map[string]any{"introduced": "0"}, map[string]any{"fixed": r.Fixed}}}},
		}},
	}
	if r.CVE != "" {
		v["aliases"] = []string{r.CVE}
	}
	if r.CVSS != "" {
		v["severity"] = []any{map[string]any{"type": "CVSS_V3", "score": r.CVSS}}
	}
	b, _ := json.Marshal(v)
	return b
}

// Import writes records as a directory export and imports it under name
// into DATA/vuln/osv.
func Import(t testing.TB, data, name string, recs ...Record) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := os.WriteFile(filepath.Join(dir, r.ID+".json"), r.JSON(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := osv.Import(context.Background(), dir, data, name, "test"); err != nil {
		t.Fatalf("import: %v", err)
	}
}

// Start starts a test server whose posture detector reads DATA under data.
func Start(t testing.TB, data string) (*servertest.Server, *posture.Detector) {
	t.Helper()
	var det *posture.Detector
	s := servertest.Start(t, func(c *server.Config) {
		det = posture.NewDetector(data, c.Store, c.Logger)
		c.Detectors = append(c.Detectors, det)
	})
	return s, det
}

// Agent is an enrolled agent able to post events.
type Agent struct {
	ID     string
	client *http.Client
	url    string
}

// Enroll enrols a host in hospital/department.
func Enroll(t testing.TB, s *servertest.Server, hospital, dept, host string) *Agent {
	t.Helper()
	state := t.TempDir()
	cfg, err := agent.Enroll(context.Background(), agent.EnrollOptions{
		Server: s.URL, Token: s.CreateToken(t, hospital, dept, 1, "1h"), CAFingerprint: s.Fingerprint,
		StateDir: state, HostName: host, Version: "test",
	})
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	tc, err := agent.ClientTLS(state)
	if err != nil {
		t.Fatal(err)
	}
	return &Agent{ID: cfg.AgentID, url: s.URL, client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}}
}

// Post sends events as one batch and fails the test unless accepted.
func (a *Agent) Post(t testing.TB, evs ...event.Event) {
	t.Helper()
	body, err := wire.Encode(evs)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", a.url+"/api/v1/agent/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", wire.ContentType)
	req.Header.Set("Content-Encoding", wire.ContentEncoding)
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("post batch: %s: %s", resp.Status, b)
	}
}
