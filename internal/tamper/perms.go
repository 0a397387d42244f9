package tamper

import "fmt"

// Policy says what to protect. The state directory must be private to the
// agent's account (directories 0700, files 0600 or stricter, no links out);
// the binary and the directory holding it must not be writable by anyone
// else (otherwise the binary could be replaced).
type Policy struct {
	StateDir string
	Binary   string // "" to skip
	// Owner is the uid that must own the files; -1 means the current
	// effective uid. Ignored on Windows.
	Owner int
	// Repair fixes what can be fixed safely: modes and owners inside the
	// state directory, group/other write on the binary. It never changes
	// the binary's parent directory (a shared system directory), only
	// reports it.
	Repair bool
}

// Problem is one protection defect found by Check.
type Problem struct {
	Path     string
	Issue    string // IssueMode, IssueOwner, IssueSymlink, IssueMissing, IssueACL
	Got      string
	Want     string
	Repaired bool
	Err      error // why a repair failed
}

// Issues.
const (
	IssueMode    = "mode"
	IssueOwner   = "owner"
	IssueSymlink = "symlink"
	IssueMissing = "missing"
	IssueACL     = "acl"
)

func (p Problem) String() string {
	s := fmt.Sprintf("%s: %s is %s, want %s", p.Path, p.Issue, p.Got, p.Want)
	switch {
	case p.Repaired:
		s += " (repaired)"
	case p.Err != nil:
		s += fmt.Sprintf(" (repair failed: %v)", p.Err)
	}
	return s
}
