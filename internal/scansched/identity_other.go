//go:build !linux && !windows

package scansched

import "os"

// identityOf has no stable inode here (Windows would need
// GetFileInformationByHandle); only the content-hash level of the cache is
// used, which still avoids rescans but not rereads.
func identityOf(fi os.FileInfo) (fileID, bool) { return fileID{}, false }

func fileIdentity(f *os.File, fi os.FileInfo) (fileID, bool) { return identityOf(fi) }
