//go:build linux

package guard

import (
	"log/slog"
	"os"
	"strconv"
)

func newPlatform(protect []string, log *slog.Logger) (*platform, error) {
	self := os.Getpid()
	fa := &Fanotify{Protect: protect, Logger: log}
	if err := fa.Init(); err == nil {
		return &platform{name: "fanotify", source: fa, procs: LinuxProcs{}, resp: LinuxResponder{Self: self},
			setCanaries: fa.Arm, setFastCheck: func(f func(FileEvent)) { fa.FastCheck = f },
			setBackup: func(b *Backup) { fa.Backup = b }}, nil
	} else {
		log.Warn("fanotify unavailable; falling back to inotify with /proc attribution (weaker: short-lived writers may be missed)", "err", err)
	}
	return &platform{name: "inotify", source: &Notify{Protect: protect, Logger: log}, procs: LinuxProcs{},
		resp: LinuxResponder{Self: self}, attribute: func(p string) int { return writerOf(p, self) }}, nil
}

// writerOf finds a process that has path open (the inotify fallback's
// attribution). It scans /proc/*/fd, so it only finds writers that still
// hold the file open when the event is handled.
func writerOf(path string, self int) int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		fds, err := os.ReadDir("/proc/" + e.Name() + "/fd")
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if t, err := os.Readlink("/proc/" + e.Name() + "/fd/" + fd.Name()); err == nil && t == path {
				return pid
			}
		}
	}
	return 0
}
