package guard

import (
	"context"
	"time"
)

// Op is the kind of file or process activity.
type Op uint8

// Activity kinds.
const (
	OpWrite      Op = iota + 1 // a file was closed after being written
	OpCreate                   // a file was created
	OpDelete                   // a file was deleted
	OpRenameFrom               // a file was renamed away from Path
	OpRenameTo                 // a file was renamed to Path
	OpExec                     // a process started (Path is the executable, Cmdline set)
)

func (o Op) String() string {
	switch o {
	case OpWrite:
		return "write"
	case OpCreate:
		return "create"
	case OpDelete:
		return "delete"
	case OpRenameFrom:
		return "rename-from"
	case OpRenameTo:
		return "rename-to"
	case OpExec:
		return "exec"
	}
	return "unknown"
}

// FileEvent is one observed activity, attributed to a process when the
// source can (PID 0 means unknown).
type FileEvent struct {
	Time    time.Time
	PID     int
	Op      Op
	Path    string
	Cmdline string // OpExec only
}

// Source produces activity until ctx ends; it closes the channel on return.
type Source interface {
	Run(ctx context.Context, out chan<- FileEvent) error
	// Attributed reports whether events carry the acting PID (fanotify) or
	// not (inotify fallback, where the shield guesses by /proc scanning).
	Attributed() bool
}
