//go:build !linux

package scansched

import "time"

// threadCPU is not measured here (Windows would use
// QueryThreadCycleTime); the CPU duty cycle is then not enforced and the
// byte-rate limit and background priority carry the throttling.
func threadCPU() time.Duration { return 0 }
