//go:build !windows

package inventory

// liveRegistry is nil off Windows: there is no registry to read.
func liveRegistry() Registry { return nil }
