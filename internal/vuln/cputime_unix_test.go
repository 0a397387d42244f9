//go:build unix

package vuln

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time: on the shared build
// machine wall-clock benchmark times include waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
