//go:build !linux

package miner

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Other platforms build but do not scan yet; docs/miner.md describes the
// Windows design (process list and command lines via WMI/NtQuery, TCP
// owners via GetExtendedTcpTable, CPU via GetProcessTimes).
func readSnapshot(context.Context) (snapshot, error) { return snapshot{}, ErrUnsupported }

// ErrGone is returned by Kill when the process no longer exists.
var ErrGone = errors.New("process no longer exists")

// Kill terminates the process of a finding.
func Kill(f Finding) error {
	if f.PID <= 1 || f.PID == os.Getpid() {
		return fmt.Errorf("kill %d: refused (init or self)", f.PID)
	}
	p, err := os.FindProcess(f.PID)
	if err != nil {
		return fmt.Errorf("kill %d: %w", f.PID, ErrGone)
	}
	return p.Kill()
}
