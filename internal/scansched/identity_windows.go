package scansched

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// identityOf has no file index from a FileInfo alone on Windows; the walker
// then relies on not following links (loop detection needs fileIdentity).
func identityOf(fi os.FileInfo) (fileID, bool) { return fileID{}, false }

// fileBasicInfo is FILE_BASIC_INFO (not defined by x/sys/windows).
type fileBasicInfo struct {
	CreationTime, LastAccessTime, LastWriteTime, ChangeTime int64
	FileAttributes                                          uint32
	_                                                       uint32
}

// fileIdentity reads the volume serial number and file index (the NTFS
// equivalents of device and inode), the size, the last write time and the
// change time (which, like ctime, user tools cannot set back). Designed and
// built for windows/amd64; not run on Windows in CI.
func fileIdentity(f *os.File, fi os.FileInfo) (fileID, bool) {
	h := windows.Handle(f.Fd())
	var bh windows.ByHandleFileInformation
	if windows.GetFileInformationByHandle(h, &bh) != nil {
		return fileID{}, false
	}
	var bi fileBasicInfo
	if windows.GetFileInformationByHandleEx(h, windows.FileBasicInfo, (*byte)(unsafe.Pointer(&bi)), uint32(unsafe.Sizeof(bi))) != nil {
		return fileID{}, false
	}
	return fileID{
		Dev:   uint64(bh.VolumeSerialNumber),
		Ino:   uint64(bh.FileIndexHigh)<<32 | uint64(bh.FileIndexLow),
		Size:  int64(bh.FileSizeHigh)<<32 | int64(bh.FileSizeLow),
		MTime: bi.LastWriteTime,
		CTime: bi.ChangeTime,
	}, true
}
