package scansched

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// ioprio_set(2) constants (linux/ioprio.h); x/sys does not define them.
const (
	ioprioWhoProcess = 1
	ioprioClassIdle  = 3
	ioprioClassShift = 13
)

// lowerThreadPriority lowers the CPU (nice) and I/O (idle class) priority of
// the calling OS thread only: on Linux both setpriority(PRIO_PROCESS, tid)
// and ioprio_set(IOPRIO_WHO_PROCESS, tid) act on a single thread. The caller
// must have called runtime.LockOSThread and must never unlock it, so the
// thread dies with the goroutine and other goroutines never inherit it.
func lowerThreadPriority(nice int, idleIO bool) error {
	tid := unix.Gettid()
	if nice > 0 {
		if err := unix.Setpriority(unix.PRIO_PROCESS, tid, nice); err != nil {
			return fmt.Errorf("setpriority nice %d: %w", nice, err)
		}
	}
	if idleIO {
		prio := uintptr(ioprioClassIdle << ioprioClassShift)
		if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, uintptr(tid), prio); e != 0 {
			return fmt.Errorf("ioprio_set idle: %w", e)
		}
	}
	return nil
}
