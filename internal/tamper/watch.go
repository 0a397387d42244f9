package tamper

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/medshield/medshield/internal/event"
)

// Attempt is a change to a protected file seen by the Watcher. The process
// responsible is not known: inotify does not say (the ransomware shield's
// fanotify source does, for its folders).
type Attempt struct {
	Path string
	Op   string // OpWrite, OpCreate, OpRemove, OpRename, OpChmod
	Time time.Time
}

// Operations reported.
const (
	OpWrite  = "write"
	OpCreate = "create"
	OpRemove = "remove"
	OpRename = "rename"
	OpChmod  = "chmod"
)

// Event renders an attempt as an alert for the agent to ship.
func (a Attempt) Event() event.Event {
	e := event.New(event.KindAlert, "medshield.tamper", "tamper-"+a.Op)
	e.Timestamp = a.Time
	e.Category = "file"
	e.Severity = event.SeverityHigh
	e.File = &event.File{Path: a.Path, Name: filepath.Base(a.Path)}
	e.Rule = &event.Rule{ID: "medshield-tamper-file", Name: "Agent file tampering", Ruleset: "medshield"}
	e.Techniques = []string{"T1562.001"} // Impair Defenses: Disable or Modify Tools
	e.Message = fmt.Sprintf("protected agent file %s: %s", a.Path, a.Op)
	return e
}

// Watcher reports changes to the state directory (recursively) and to
// individual protected files (the binary) through Report.
type Watcher struct {
	// Dirs are watched recursively; Files are watched through their parent
	// directory (so a replacement by rename is seen too).
	Dirs  []string
	Files []string
	// Ignore holds globs, relative to the watched directory, of files the
	// agent itself writes (spool, caches): "spool/**", "*.tmp*". A glob
	// without '/' matches a base name at any depth.
	Ignore []string
	// Repair, when set with Policy.StateDir, re-runs Check with Repair on the
	// changed path's directory after chmod and create events, so loosened
	// permissions are put back at once.
	Repair *Policy
	Report func(Attempt)
	// Ready, if set, is called once every watch is in place.
	Ready func()
}

// Run watches until ctx is done. It fails only if a watch cannot be set up.
func (w *Watcher) Run(ctx context.Context) error {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("tamper watcher: %w", err)
	}
	defer fsw.Close()
	for _, g := range w.Ignore {
		if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
			return fmt.Errorf("tamper watcher ignore %q: %w", g, err)
		}
	}
	files := map[string]bool{}
	for _, f := range w.Files {
		abs, _ := filepath.Abs(f)
		files[abs] = true
		if err := fsw.Add(filepath.Dir(abs)); err != nil {
			return fmt.Errorf("tamper watch %s: %w", f, err)
		}
	}
	dirs := make([]string, 0, len(w.Dirs))
	for _, d := range w.Dirs {
		abs, _ := filepath.Abs(d)
		dirs = append(dirs, abs)
		if err := addTree(fsw, abs); err != nil {
			return err
		}
	}
	if w.Ready != nil {
		w.Ready()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err, ok := <-fsw.Errors:
			if !ok {
				return nil
			}
			// Lost events are themselves suspicious: report the loss.
			w.emit(Attempt{Path: strings.Join(w.Dirs, ","), Op: "events-lost: " + err.Error(), Time: time.Now()})
		case ev, ok := <-fsw.Events:
			if !ok {
				return nil
			}
			w.handle(fsw, ev, dirs, files)
		}
	}
}

func addTree(fsw *fsnotify.Watcher, root string) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return fmt.Errorf("tamper watch %s: %w", root, err)
			}
			return nil
		}
		if d.IsDir() {
			if err := fsw.Add(p); err != nil {
				return fmt.Errorf("tamper watch %s: %w", p, err)
			}
		}
		return nil
	})
}

func (w *Watcher) handle(fsw *fsnotify.Watcher, ev fsnotify.Event, dirs []string, files map[string]bool) {
	p := ev.Name
	var root string
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+string(filepath.Separator)) {
			root = d
			break
		}
	}
	if root == "" && !files[p] {
		return // a sibling of the binary
	}
	if root != "" && w.ignored(root, p) {
		return
	}
	var op string
	switch {
	case ev.Has(fsnotify.Remove):
		op = OpRemove
	case ev.Has(fsnotify.Rename):
		op = OpRename
	case ev.Has(fsnotify.Create):
		op = OpCreate
		if root != "" {
			if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
				// A new subdirectory is protected too; what was created in
				// it before its watch existed is reported now.
				addTree(fsw, p)
				defer w.reportExisting(root, p)
			}
		}
	case ev.Has(fsnotify.Write):
		op = OpWrite
	case ev.Has(fsnotify.Chmod):
		op = OpChmod
	default:
		return
	}
	if w.Repair != nil && root != "" && (op == OpChmod || op == OpCreate) {
		pol := *w.Repair
		pol.StateDir, pol.Binary, pol.Repair = p, "", true
		Check(pol) // the attempt is reported either way
	}
	w.emit(Attempt{Path: p, Op: op, Time: time.Now()})
}

func (w *Watcher) reportExisting(root, dir string) {
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != dir && !w.ignored(root, p) {
			w.emit(Attempt{Path: p, Op: OpCreate, Time: time.Now()})
		}
		return nil
	})
}

func (w *Watcher) ignored(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	rel = filepath.ToSlash(rel)
	for _, g := range w.Ignore {
		if !strings.Contains(g, "/") {
			if ok, _ := path.Match(g, path.Base(rel)); ok {
				return true
			}
			continue
		}
		if prefix, ok := strings.CutSuffix(g, "/**"); ok {
			if rel == prefix || strings.HasPrefix(rel, prefix+"/") {
				return true
			}
			continue
		}
		if ok, _ := path.Match(g, rel); ok {
			return true
		}
	}
	return false
}

func (w *Watcher) emit(a Attempt) {
	if w.Report != nil {
		w.Report(a)
	}
}
