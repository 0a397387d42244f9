//go:build !windows

package sca

// processNames lists running processes from ROOT/proc.
func processNames(root string) ([]string, error) { return procNames(root) }
