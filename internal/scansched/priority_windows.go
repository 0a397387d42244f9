package scansched

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// THREAD_MODE_BACKGROUND_BEGIN lowers the thread's CPU scheduling priority
// and its I/O and memory priority to "very low" in one call.
const threadModeBackgroundBegin = 0x00010000

var procSetThreadPriority = windows.NewLazySystemDLL("kernel32.dll").NewProc("SetThreadPriority")

// lowerThreadPriority puts the calling (locked) thread in background mode.
// nice and idleIO are not separable on Windows: background mode covers both.
// Designed, built for windows/amd64, not tested on Windows.
func lowerThreadPriority(nice int, idleIO bool) error {
	if nice <= 0 && !idleIO {
		return nil
	}
	r, _, err := procSetThreadPriority.Call(uintptr(windows.CurrentThread()), threadModeBackgroundBegin)
	if r == 0 {
		return fmt.Errorf("SetThreadPriority background: %w", err)
	}
	return nil
}
