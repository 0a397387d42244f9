//go:build !unix

package quarantine

import "io/fs"

// Windows has owner SIDs, not uid/gid; the record leaves them out and the
// restored file inherits the target folder's ACL.
func owner(fs.FileInfo) (uid, gid *int) { return nil, nil }

func chown(string, *int, *int) {}

// Directories cannot be fsynced on Windows; NTFS journals the rename.
func isSyncUnsupported(error) bool { return true }
