//go:build !windows

package tamper

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Check inspects (and with Repair, fixes) the state directory and binary.
// It returns the problems found; the error is for a state directory that
// cannot be read at all.
func Check(p Policy) ([]Problem, error) {
	owner := p.Owner
	if owner < 0 {
		owner = os.Geteuid()
	}
	var probs []Problem
	err := filepath.WalkDir(p.StateDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == p.StateDir {
				return err
			}
			probs = append(probs, Problem{Path: path, Issue: IssueMode, Got: "unreadable", Want: "readable by the agent", Err: err})
			return nil
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return nil // vanished meanwhile
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			// A link could point the agent's writes elsewhere; never follow
			// or "repair" it, report it.
			target, _ := os.Readlink(path)
			probs = append(probs, Problem{Path: path, Issue: IssueSymlink, Got: "link to " + target, Want: "no links"})
			return nil
		}
		want := fs.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		perm := fi.Mode().Perm()
		// Stricter is fine for files (a read-only key); a directory must stay
		// usable by its owner.
		if perm&0o077 != 0 || (fi.IsDir() && perm&0o700 != 0o700) {
			pr := Problem{Path: path, Issue: IssueMode, Got: fmt.Sprintf("%04o", perm), Want: fmt.Sprintf("%04o", want)}
			if p.Repair {
				pr.Err = os.Chmod(path, (perm|want&0o700)&^0o077)
				pr.Repaired = pr.Err == nil
			}
			probs = append(probs, pr)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != owner {
			pr := Problem{Path: path, Issue: IssueOwner, Got: fmt.Sprint(st.Uid), Want: fmt.Sprint(owner)}
			if p.Repair {
				pr.Err = os.Lchown(path, owner, -1)
				pr.Repaired = pr.Err == nil
			}
			probs = append(probs, pr)
		}
		return nil
	})
	if err != nil {
		return probs, fmt.Errorf("check state dir %s: %w", p.StateDir, err)
	}
	if p.Binary != "" {
		probs = append(probs, checkBinary(p.Binary, owner, p.Repair)...)
	}
	return probs, nil
}

func checkBinary(bin string, owner int, repair bool) []Problem {
	var probs []Problem
	fi, err := os.Stat(bin) // a link to the binary is normal (/usr/bin/x -> ...)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return []Problem{{Path: bin, Issue: IssueMissing, Got: "missing", Want: "present"}}
		}
		return []Problem{{Path: bin, Issue: IssueMode, Got: "unreadable", Want: "readable", Err: err}}
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		pr := Problem{Path: bin, Issue: IssueMode, Got: fmt.Sprintf("%04o", perm), Want: fmt.Sprintf("%04o", perm&^0o022)}
		if repair {
			pr.Err = os.Chmod(bin, perm&^0o022)
			pr.Repaired = pr.Err == nil
		}
		probs = append(probs, pr)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != owner && st.Uid != 0 {
		probs = append(probs, Problem{Path: bin, Issue: IssueOwner, Got: fmt.Sprint(st.Uid), Want: fmt.Sprintf("%d or 0", owner)})
	}
	dir := filepath.Dir(bin)
	if di, err := os.Stat(dir); err == nil {
		// Writable by others and not sticky: the binary can be renamed away
		// and replaced.
		if perm := di.Mode(); perm.Perm()&0o022 != 0 && perm&fs.ModeSticky == 0 {
			probs = append(probs, Problem{Path: dir, Issue: IssueMode, Got: fmt.Sprintf("%04o", perm.Perm()), Want: "not writable by group or others"})
		}
	}
	return probs
}
