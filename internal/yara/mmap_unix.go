//go:build unix

package yara

import (
	"os"
	"syscall"
)

// mapFile maps f read-only; release unmaps it. Empty files and files that
// cannot be mapped (pipes, some special files) are read instead.
func mapFile(f *os.File, size int64) (data []byte, release func(), err error) {
	if size <= 0 || int64(int(size)) != size {
		return readAll(f, size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readAll(f, size)
	}
	return b, func() { syscall.Munmap(b) }, nil
}
