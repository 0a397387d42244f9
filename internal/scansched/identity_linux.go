package scansched

import (
	"os"
	"syscall"
)

// identityOf returns the file identity used as the first-level cache key.
// ctime is included besides mtime because a user can reset mtime (touch -d)
// but not ctime.
func identityOf(fi os.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{
		Dev: uint64(st.Dev), Ino: uint64(st.Ino), Size: st.Size,
		MTime: int64(st.Mtim.Sec)*1e9 + int64(st.Mtim.Nsec), CTime: int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec),
	}, true
}

// fileIdentity is the identity of an open file (the same as identityOf on
// Linux, where FileInfo carries the inode).
func fileIdentity(f *os.File, fi os.FileInfo) (fileID, bool) { return identityOf(fi) }
