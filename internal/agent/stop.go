package agent

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/tamper"
)

// ErrNoTamperSecret means the agent was enrolled without a tamper secret
// (by an older server): stop and uninstall cannot be gated.
var ErrNoTamperSecret = errors.New("this agent has no tamper secret; stop is not protected")

func tamperSecret(stateDir string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, tamperFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoTamperSecret
	}
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(strings.TrimSpace(string(b)))
}

// StopProtected reports whether stopping this agent needs a code.
func StopProtected(stateDir string) bool {
	_, err := tamperSecret(stateDir)
	return err == nil
}

// AuthorizeStop verifies a stop code issued by the server and leaves it for
// the running agent, which checks it again when it receives SIGTERM.
func AuthorizeStop(stateDir, code string) error {
	cfg, err := LoadConfig(stateDir)
	if err != nil {
		return err
	}
	secret, err := tamperSecret(stateDir)
	if err != nil {
		return err
	}
	if err := tamper.Verify(secret, cfg.AgentID, tamper.ActionStop, code, time.Now()); err != nil {
		return fmt.Errorf("stop code refused: %w", err)
	}
	return os.WriteFile(filepath.Join(stateDir, stopFile), []byte(code), 0o600)
}

// AuthorizeUninstall verifies an uninstall code issued by the server and
// leaves a stop authorisation for the running agent (uninstalling stops it).
func AuthorizeUninstall(stateDir, code string) error {
	cfg, err := LoadConfig(stateDir)
	if err != nil {
		return err
	}
	secret, err := tamperSecret(stateDir)
	if err != nil {
		return err
	}
	now := time.Now()
	if err := tamper.Verify(secret, cfg.AgentID, tamper.ActionUninstall, code, now); err != nil {
		return fmt.Errorf("uninstall code refused: %w", err)
	}
	// The running agent checks a stop code; derive one from the secret the
	// uninstall code just proved.
	stop, err := tamper.NewCode(secret, cfg.AgentID, tamper.ActionStop, time.Minute, now)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(stateDir, stopFile), []byte(stop), 0o600)
}

// stopAuthorized consumes a stop authorisation left by AuthorizeStop.
func stopAuthorized(stateDir, agentID string) bool {
	path := filepath.Join(stateDir, stopFile)
	code, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	os.Remove(path)
	secret, err := tamperSecret(stateDir)
	if err != nil {
		return false
	}
	return tamper.Verify(secret, agentID, tamper.ActionStop, strings.TrimSpace(string(code)), time.Now()) == nil
}

// StopAuthorized is called by the signal handler of a protected agent.
func (a *Agent) StopAuthorized() bool { return stopAuthorized(a.opts.StateDir, a.cfg.AgentID) }

// ReportRefusedStop records an unauthorised attempt to stop the agent.
func (a *Agent) ReportRefusedStop(sig string) {
	ev := tamper.Attempt{Path: "signal:" + sig, Op: "stop", Time: time.Now()}.Event()
	ev.Message = "refused to stop on " + sig + " without a stop code from the server"
	if err := a.Emit(ev); err != nil {
		a.log.Error("spool tamper alert", "err", err)
	}
	a.log.Warn("stop refused: no valid stop code (medshield agent stop --code ...)", "signal", sig)
}

// RunningPID returns the PID of the agent running on a state directory.
func RunningPID(stateDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, pidFile))
	if err != nil {
		return 0, fmt.Errorf("no running agent found: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
