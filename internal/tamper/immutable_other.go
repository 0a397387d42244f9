//go:build !linux

package tamper

import "errors"

// ErrUnsupported means the file system or platform has no immutable flag.
var ErrUnsupported = errors.New("immutable flag not supported here")

// SetImmutable is Linux-only; on Windows the protected DACL set by Check
// plays this role (see perms_windows.go).
func SetImmutable(path string, on bool) error { return ErrUnsupported }

// IsImmutable is Linux-only.
func IsImmutable(path string) (bool, error) { return false, ErrUnsupported }
