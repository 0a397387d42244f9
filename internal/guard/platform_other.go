//go:build !linux && !windows

package guard

import (
	"errors"
	"log/slog"
	"os"
)

// On Windows and other systems the shield runs on the portable notification
// source without process attribution; see docs/guard.md for the Windows
// design (ETW file I/O events or handle-owner lookup for attribution, job
// objects and NtSuspendProcess for the response).
func newPlatform(protect []string, log *slog.Logger) (*platform, error) {
	log.Warn("ransomware shield: this platform has no per-process file attribution yet; alerts only")
	return &platform{name: "notify", source: &Notify{Protect: protect, Logger: log}, resp: portableResponder{}}, nil
}

// portableResponder kills a single process (no tree walk, no suspend).
type portableResponder struct{}

func (portableResponder) StopTree(pid int) ([]int, error) {
	if pid <= 0 || pid == os.Getpid() {
		return nil, errors.New("refusing to stop this process")
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil, err
	}
	if err := p.Kill(); err != nil {
		return nil, err
	}
	return []int{pid}, nil
}

// Freeze is not available without process suspension on this platform.
func (portableResponder) Freeze(pid int) []int { return nil }

// Thaw does nothing.
func (portableResponder) Thaw([]int) {}
