package scansched

import (
	"os"

	"golang.org/x/sys/unix"
)

// openForScan opens read-only without updating the access time where
// allowed (O_NOATIME needs file ownership or CAP_FOWNER), so scans do not
// disturb atime-based tools.
func openForScan(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOATIME|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err == unix.EPERM {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
