package yara

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
)

// WalkOptions choose which files a scan visits.
type WalkOptions struct {
	Recursive      bool     // descend into directories
	FollowSymlinks bool     // follow symbolic links (loops are detected)
	Exclude        []string // glob patterns matched against the base name and the full path
}

func (o *WalkOptions) excluded(path string) bool {
	for _, pat := range o.Exclude {
		if ok, _ := filepath.Match(pat, filepath.Base(path)); ok {
			return true
		}
		if ok, _ := filepath.Match(pat, path); ok {
			return true
		}
	}
	return false
}

// Walk sends every regular file under roots to out (in lexical order per
// directory) and reports unreadable entries to onErr. It closes nothing;
// the caller owns out.
func Walk(ctx context.Context, roots []string, o WalkOptions, out chan<- string, onErr func(path string, err error)) {
	seen := map[string]bool{} // directories already visited (symlink loops)
	var visit func(path string, depth int)
	visit = func(path string, depth int) {
		if ctx.Err() != nil || o.excluded(path) {
			return
		}
		info, err := os.Lstat(path)
		if err != nil {
			onErr(path, err)
			return
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			if !o.FollowSymlinks && depth > 0 {
				return
			}
			info, err = os.Stat(path)
			if err != nil {
				onErr(path, err)
				return
			}
		}
		switch {
		case info.Mode().IsRegular():
			select {
			case out <- path:
			case <-ctx.Done():
			}
		case info.IsDir():
			if depth > 0 && !o.Recursive {
				return
			}
			real, err := filepath.EvalSymlinks(path)
			if err == nil {
				if seen[real] {
					return
				}
				seen[real] = true
			}
			entries, err := os.ReadDir(path)
			if err != nil {
				onErr(path, err)
				return
			}
			for _, e := range entries {
				visit(filepath.Join(path, e.Name()), depth+1)
			}
		}
	}
	for _, r := range roots {
		visit(r, 0)
	}
}
