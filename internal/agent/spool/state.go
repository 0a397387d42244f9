package spool

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Two small JSON files, each replaced atomically (write, fsync, rename,
// fsync directory) so that a crash leaves either the old or the new version:
// ack.json is written by the reader side, state.json (counters) by the writer
// side under s.mu.
const (
	ackFile   = "ack.json"
	stateFile = "state.json"
)

type counters struct {
	Dropped         uint64 `json:"dropped"`
	DroppedReported uint64 `json:"dropped_reported"`
	// DroppedThrough is the highest segment id ever dropped; Open deletes any
	// such segment still present (a crash between counting and deleting), so
	// its records are neither counted twice nor delivered after being counted.
	DroppedThrough uint64 `json:"dropped_through"`
	Corrupt        uint64 `json:"corrupt"`
	TornTails      uint64 `json:"torn_tails"`
	Rejected       uint64 `json:"rejected"`
	// Scanned is how far Open has already counted damage, so damage that
	// stays on disk (unacknowledged) is not counted again at every start.
	Scanned ackRecord `json:"scanned"`
}

type ackRecord struct {
	Segment uint64 `json:"segment"`
	Offset  int64  `json:"offset"`
}

func (s *Spool) saveState() error {
	return writeAtomic(filepath.Join(s.dir, stateFile), s.state, s.opts.SyncInterval >= 0)
}

// writeAtomic replaces path with v as JSON; durable when sync is set (it is
// unset only with the benchmark-only "never fsync" policy).
func writeAtomic(path string, v any, sync bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	_, werr := f.Write(b)
	var serr error
	if sync {
		serr = f.Sync()
	}
	cerr := f.Close()
	if werr != nil || serr != nil || cerr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %v %v %v", tmp, werr, serr, cerr)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	if !sync {
		return nil
	}
	return syncDir(filepath.Dir(path))
}

// readJSON loads path into v; a missing file leaves v unchanged.
func readJSON(path string, v any) (found bool, err error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("parse %s: %w", path, err)
	}
	return true, nil
}

// syncDir makes a rename or file creation durable. Windows cannot fsync a
// directory (NTFS journals the metadata), so it is skipped there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
