//go:build !linux && !windows

package inventory

import "context"

// collectPlatform adds nothing on systems without a dedicated collector: the
// hostname, interfaces, CPU count, GOOS and GOARCH gathered by Collect are
// what is known portably.
func collectPlatform(_ context.Context, _ Options, inv *Inventory) {
	inv.OSName = inv.OSFamily
}
