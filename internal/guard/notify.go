package guard

import (
	"context"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Notify is the portable fallback source (inotify on Linux,
// ReadDirectoryChangesW on Windows, kqueue elsewhere) through fsnotify. It
// does not know which process acted; see platform attribution.
type Notify struct {
	Protect []string
	Logger  *slog.Logger
	MaxDirs int
}

// Attributed implements Source.
func (n *Notify) Attributed() bool { return false }

// Run implements Source.
func (n *Notify) Run(ctx context.Context, out chan<- FileEvent) error {
	defer close(out)
	if n.MaxDirs == 0 {
		n.MaxDirs = 50000
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	watched := 0
	add := func(root string) {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && watched < n.MaxDirs {
				if w.Add(p) == nil {
					watched++
				}
			}
			return nil
		})
	}
	for _, p := range n.Protect {
		add(p)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			if n.Logger != nil {
				n.Logger.Warn("file watch error", "err", err)
			}
		case e, ok := <-w.Events:
			if !ok {
				return nil
			}
			now := time.Now()
			emit := func(op Op) {
				select {
				case out <- FileEvent{Time: now, Op: op, Path: e.Name}:
				case <-ctx.Done():
				}
			}
			switch {
			case e.Has(fsnotify.Create):
				add(e.Name) // a new directory is watched too
				emit(OpCreate)
			case e.Has(fsnotify.Write):
				emit(OpWrite)
			case e.Has(fsnotify.Remove):
				emit(OpDelete)
			case e.Has(fsnotify.Rename):
				emit(OpRenameFrom)
			}
		}
	}
}
