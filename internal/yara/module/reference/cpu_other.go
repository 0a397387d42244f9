//go:build !unix

package reference

import "time"

// CPUTime is not measured on this platform; benchmarks then report no
// per-CPU-second figure.
func CPUTime() time.Duration { return 0 }
