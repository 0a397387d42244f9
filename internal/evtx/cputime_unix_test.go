//go:build unix

package evtx

import "syscall"

// cpuSeconds is the CPU time (user+system, all threads) this process used.
func cpuSeconds() float64 { return rusage(syscall.RUSAGE_SELF) }

// childCPUSeconds is the CPU time used by waited-for child processes.
func childCPUSeconds() float64 { return rusage(syscall.RUSAGE_CHILDREN) }

func rusage(who int) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
