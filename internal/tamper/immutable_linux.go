package tamper

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// fsImmutableFL is FS_IMMUTABLE_FL from linux/fs.h (not in x/sys).
const fsImmutableFL = 0x00000010

// ErrUnsupported means the file system or platform has no immutable flag.
var ErrUnsupported = errors.New("immutable flag not supported here")

// SetImmutable sets or clears the immutable flag (chattr +i) on path: an
// immutable file cannot be written, renamed, deleted or linked, even by root,
// until the flag is cleared (which needs CAP_LINUX_IMMUTABLE). Upgrades must
// clear it first. Returns ErrUnsupported (wrapped) when the file system has
// no such flag (tmpfs, overlayfs, NFS...).
func SetImmutable(path string, on bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("set immutable %s: %w", path, err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return fmt.Errorf("get flags %s: %w", path, mapIoctlErr(err))
	}
	nf := flags &^ fsImmutableFL
	if on {
		nf |= fsImmutableFL
	}
	if nf == flags {
		return nil
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(nf)); err != nil {
		return fmt.Errorf("set flags %s: %w", path, mapIoctlErr(err))
	}
	return nil
}

// IsImmutable reports whether path has the immutable flag.
func IsImmutable(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("immutable %s: %w", path, err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return false, fmt.Errorf("get flags %s: %w", path, mapIoctlErr(err))
	}
	return flags&fsImmutableFL != 0, nil
}

func mapIoctlErr(err error) error {
	if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return err
}
