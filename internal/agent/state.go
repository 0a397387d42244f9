// Package agent is the medshield endpoint agent: enrolment with the server
// (CSR + token, CA fingerprint pinned on first contact), its state directory
// (key 0600, certificate, CA, config, spool), and the runner that composes the
// spool, the uploader, heartbeats, the command long-poll and the collectors.
// Every event is written to the on-disk spool before anything else happens
// to it.
//
// cmd/medshield imports it; engines do not.
package agent

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/medshield/medshield/internal/pki"
)

// State file names inside the state directory.
const (
	configFile = "agent.json"
	keyFile    = "agent.key"
	certFile   = "agent.crt"
	caFile     = "ca.crt"
	spoolDir   = "spool"
	tamperFile = "tamper.key"
	stopFile   = "stop.auth"
	pidFile    = "agent.pid"
)

// DefaultStateDir returns the per-OS default state directory.
func DefaultStateDir() string {
	switch runtime.GOOS {
	case "windows":
		if pd := os.Getenv("ProgramData"); pd != "" {
			return filepath.Join(pd, "medshield", "agent")
		}
		return `C:\ProgramData\medshield\agent`
	case "linux":
		if os.Geteuid() == 0 {
			return "/var/lib/medshield-agent"
		}
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "medshield-agent")
	}
	return ".medshield-agent"
}

// Config is the agent's persisted configuration (agent.json).
type Config struct {
	Server        string    `json:"server"`
	AgentID       string    `json:"agent_id"`
	Hospital      string    `json:"hospital"`
	Department    string    `json:"department"`
	CAFingerprint string    `json:"ca_fingerprint"`
	HostName      string    `json:"hostname"`
	EnrolledAt    time.Time `json:"enrolled_at"`
}

// ErrNotEnrolled is returned when the state directory holds no enrolment.
var ErrNotEnrolled = errors.New("agent is not enrolled (run 'medshield agent enroll')")

// LoadConfig reads agent.json from a state directory.
func LoadConfig(stateDir string) (Config, error) {
	var c Config
	b, err := os.ReadFile(filepath.Join(stateDir, configFile))
	if errors.Is(err, os.ErrNotExist) {
		return c, ErrNotEnrolled
	}
	if err != nil {
		return c, fmt.Errorf("read agent config: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", filepath.Join(stateDir, configFile), err)
	}
	if c.Server == "" || c.AgentID == "" {
		return c, fmt.Errorf("%s: server and agent_id are required", filepath.Join(stateDir, configFile))
	}
	return c, nil
}

func saveConfig(stateDir string, c Config) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return pki.WriteFile(filepath.Join(stateDir, configFile), append(b, '\n'), 0o600)
}

// ClientTLS returns the mutual-TLS configuration of an enrolled agent: its
// certificate, and only the pinned CA as root.
func ClientTLS(stateDir string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(stateDir, certFile), filepath.Join(stateDir, keyFile))
	if err != nil {
		return nil, fmt.Errorf("load agent certificate: %w", err)
	}
	caCert, _, err := pki.ReadCert(filepath.Join(stateDir, caFile))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, RootCAs: pool}, nil
}
