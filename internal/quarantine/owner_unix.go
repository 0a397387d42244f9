//go:build unix

package quarantine

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

func owner(fi fs.FileInfo) (uid, gid *int) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, nil
	}
	u, g := int(st.Uid), int(st.Gid)
	return &u, &g
}

// chown gives a restored file its owner back; only root may, so for anyone
// else the file keeps the restoring user as owner.
func chown(path string, uid, gid *int) {
	if uid == nil || gid == nil || os.Geteuid() != 0 {
		return
	}
	_ = os.Lchown(path, *uid, *gid)
}

func isSyncUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}
