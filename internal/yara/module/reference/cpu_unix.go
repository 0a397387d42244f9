//go:build unix

package reference

import (
	"syscall"
	"time"
)

// CPUTime returns the user+system CPU time used so far by this process (all
// threads, the garbage collector included), for benchmarks that report
// throughput per CPU second, which stays meaningful on a busy machine.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
