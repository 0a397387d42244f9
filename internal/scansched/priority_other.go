//go:build !linux && !windows

package scansched

// lowerThreadPriority is not implemented here; scans run at normal priority
// and rely on the byte-rate limiter.
func lowerThreadPriority(nice int, idleIO bool) error { return nil }
