package guard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Backup is the protected-folder backup: the first time a process opens a
// protected file for writing, the file's current content is copied into a
// hidden store before the open is allowed (copy-on-first-write; on Linux the
// fanotify permission gate holds the writer meanwhile). A copy is refreshed
// before a write when the file changed since it was taken and the copy is
// older than Refresh, so a restore returns the last version before an
// attack, not only the first one ever seen. The store is bounded: the oldest copies are dropped first.
// Incidents (alerts) are recorded with the files they touched, so that
// `medshield agent restore --incident ID` puts back the versions from before.
type Backup struct {
	Dir      string
	MaxBytes int64         // default 1 GiB
	MaxFile  int64         // larger files are not copied (default 64 MiB)
	Refresh  time.Duration // a changed file is copied again before a write once its copy is older than this (default 1 min)

	mu    sync.Mutex
	index map[string]backupEntry // path → latest copy
	used  int64
}

type backupEntry struct {
	Path    string    `json:"path"`
	Blob    string    `json:"blob"`
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	Mode    uint32    `json:"mode"`
	Taken   time.Time `json:"taken"`
	PID     int       `json:"pid,omitempty"` // the writer whose open triggered the copy (0: baseline)
}

// OpenBackup opens (or creates) a backup store.
func OpenBackup(dir string, maxBytes int64) (*Backup, error) {
	b := &Backup{Dir: dir, MaxBytes: maxBytes, index: map[string]backupEntry{}}
	if b.MaxBytes <= 0 {
		b.MaxBytes = 1 << 30
	}
	b.MaxFile = 64 << 20
	b.Refresh = time.Minute
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o700); err != nil {
		return nil, fmt.Errorf("backup store: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "incidents"), 0o700); err != nil {
		return nil, fmt.Errorf("backup store: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err == nil {
		var entries []backupEntry
		if json.Unmarshal(data, &entries) == nil {
			for _, e := range entries {
				if st, err := os.Stat(filepath.Join(dir, "blobs", e.Blob)); err == nil {
					b.index[e.Path] = e
					b.used += st.Size()
				}
			}
		}
	}
	return b, nil
}

// Preserve copies path into the store unless a fresh copy exists.
func (b *Backup) Preserve(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // a new file has nothing to preserve
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	return b.PreserveFrom(path, f, st.Size(), st.Mode(), st.ModTime())
}

// PreserveFrom copies content already open elsewhere (the fanotify
// handler reads through the event's descriptor).
func (b *Backup) PreserveFrom(path string, f io.ReaderAt, size int64, mode os.FileMode, mtime time.Time) error {
	return b.preserve(path, f, size, mode, mtime, 0)
}

// PreserveFor is PreserveFrom on behalf of a writer process.
func (b *Backup) PreserveFor(pid int, path string, f io.ReaderAt, size int64, mode os.FileMode, mtime time.Time) error {
	return b.preserve(path, f, size, mode, mtime, pid)
}

func (b *Backup) preserve(path string, f io.ReaderAt, size int64, mode os.FileMode, mtime time.Time, pid int) error {
	st := fileInfo{size: size, mode: mode, mtime: mtime}
	if st.size > b.MaxFile {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.index[path]; ok && (e.ModTime.Equal(st.mtime) && e.Size == st.size || time.Since(e.Taken) < b.Refresh) {
		return nil
	}
	src := io.NewSectionReader(f, 0, b.MaxFile+1)
	tmp, err := os.CreateTemp(filepath.Join(b.Dir, "blobs"), ".tmp-*")
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), src)
	if err == nil && n > b.MaxFile {
		err = errors.New("file grew past the backup limit")
	}
	if err == nil {
		err = tmp.Sync()
	}
	tmp.Close()
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	blob := sum[:32] + "-" + fmt.Sprint(time.Now().UnixNano())
	if err := os.Rename(tmp.Name(), filepath.Join(b.Dir, "blobs", blob)); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if old, ok := b.index[path]; ok {
		// Keep the previous copy too only if it is the last good one; the
		// newest pre-write copy is what a restore needs.
		b.drop(old)
	}
	b.index[path] = backupEntry{Path: path, Blob: blob, SHA256: sum, Size: n, ModTime: st.mtime, Mode: uint32(st.mode.Perm()), Taken: time.Now(), PID: pid}
	b.used += n
	b.evict()
	return b.save()
}

func (b *Backup) drop(e backupEntry) {
	if os.Remove(filepath.Join(b.Dir, "blobs", e.Blob)) == nil {
		b.used -= e.Size
	}
	delete(b.index, e.Path)
}

// evict drops the oldest copies until the store fits.
func (b *Backup) evict() {
	if b.used <= b.MaxBytes {
		return
	}
	entries := make([]backupEntry, 0, len(b.index))
	for _, e := range b.index {
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Taken.Before(entries[j].Taken) })
	for _, e := range entries {
		if b.used <= b.MaxBytes {
			break
		}
		b.drop(e)
	}
}

func (b *Backup) save() error {
	entries := make([]backupEntry, 0, len(b.index))
	for _, e := range b.index {
		entries = append(entries, e)
	}
	data, err := json.Marshal(entries)
	if err != nil {
		return err
	}
	tmp := filepath.Join(b.Dir, ".index.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(b.Dir, "index.json"))
}

// Incident is what the shield stopped, kept for restores.
type Incident struct {
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
	Start   time.Time `json:"start"` // first signal
	PID     int       `json:"pid"`
	PIDs    []int     `json:"pids"` // the process family that was stopped
	Process string    `json:"process"`
	Files   []string  `json:"files"`
}

// RecordIncident stores an alert's incident.
func (b *Backup) RecordIncident(a Alert) error {
	inc := Incident{ID: a.ID, Time: a.Time, Start: a.Time, PID: a.PID, PIDs: append([]int{a.PID}, a.Killed...), Process: a.Exe, Files: a.Files}
	for _, sg := range a.Signals {
		if sg.Time.Before(inc.Start) {
			inc.Start = sg.Time
		}
	}
	data, err := json.MarshalIndent(inc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.Dir, "incidents", safeName(a.ID)+".json"), data, 0o600)
}

func safeName(id string) string {
	out := make([]byte, 0, len(id))
	for i := 0; i < len(id) && i < 64; i++ {
		c := id[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' {
			out = append(out, c)
		}
	}
	return string(out)
}

// RestoreResult says what a restore did.
type RestoreResult struct {
	Restored []string `json:"restored"`
	Missing  []string `json:"missing"` // no copy taken before the incident
	Failed   []string `json:"failed"`
}

// RestoreIncident puts back, for every file the incident touched, the copy
// taken before the incident. A file that the attacker replaced (NAME.ext)
// is restored as NAME.
func (b *Backup) RestoreIncident(id string) (RestoreResult, error) {
	var res RestoreResult
	data, err := os.ReadFile(filepath.Join(b.Dir, "incidents", safeName(id)+".json"))
	if err != nil {
		return res, fmt.Errorf("incident %s: %w", id, err)
	}
	var inc Incident
	if err := json.Unmarshal(data, &inc); err != nil {
		return res, fmt.Errorf("incident %s: %w", id, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	// What to put back: files the incident names (NAME.ext stands for NAME),
	// copies its processes' writes triggered, and files changed or removed
	// while it ran (a process may finish a file after its last signal).
	named := map[string]bool{}
	for _, f := range inc.Files {
		named[f] = true
		for p := f; filepath.Ext(p) != ""; {
			p = p[:len(p)-len(filepath.Ext(p))]
			named[p] = true
		}
	}
	from, to := inc.Start.Add(-time.Minute), inc.Time.Add(time.Minute)
	paths := make([]string, 0, len(b.index))
	for p := range b.index {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		e := b.index[p]
		if e.Taken.After(to) {
			continue // taken after the incident: not a pre-attack version
		}
		st, err := os.Stat(p)
		damaged := err != nil || st.Size() != e.Size || !st.ModTime().Equal(e.ModTime)
		if !damaged {
			continue
		}
		inWindow := err == nil && !st.ModTime().Before(from) && !st.ModTime().After(to)
		byIncident := contains(inc.PIDs, e.PID) && e.PID != 0
		if !named[p] && !byIncident && !inWindow && !(err != nil && replacedNearby(p, from, to)) {
			continue
		}
		if err := b.restore(e); err != nil {
			res.Failed = append(res.Failed, p+": "+err.Error())
			continue
		}
		res.Restored = append(res.Restored, p)
	}
	// Named files with no copy: report the ones that are gone, except
	// names derived from a backed-up file (NAME.ext for NAME: the
	// attacker's own output, not a document).
	for _, f := range inc.Files {
		if _, ok := b.index[f]; ok || derivedFromBackup(b.index, f) {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			res.Missing = append(res.Missing, f)
		}
	}
	sort.Strings(res.Missing)
	return res, nil
}

func derivedFromBackup(index map[string]backupEntry, f string) bool {
	for p := f; filepath.Ext(p) != ""; {
		p = p[:len(p)-len(filepath.Ext(p))]
		if _, ok := index[p]; ok {
			return true
		}
	}
	return false
}

// replacedNearby reports whether a removed file's name now exists with an
// extra extension written during the incident (NAME → NAME.locked).
func replacedNearby(path string, from, to time.Time) bool {
	matches, _ := filepath.Glob(globEscape(path) + ".*")
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && !st.ModTime().Before(from) && !st.ModTime().After(to) {
			return true
		}
	}
	return false
}

func globEscape(s string) string {
	r := strings.NewReplacer("*", "\\*", "?", "\\?", "[", "\\[")
	return r.Replace(s)
}

func (b *Backup) restore(e backupEntry) error {
	src, err := os.Open(filepath.Join(b.Dir, "blobs", e.Blob))
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(e.Path), ".medshield-restore-*")
	if err != nil {
		return err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), src)
	if err == nil && hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
		err = errors.New("backup copy is damaged (checksum mismatch)")
	}
	if err == nil {
		err = tmp.Chmod(os.FileMode(e.Mode))
	}
	if err == nil {
		err = tmp.Sync()
	}
	tmp.Close()
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), e.Path)
}

type fileInfo struct {
	size  int64
	mode  os.FileMode
	mtime time.Time
}

// PreserveTree copies every regular file under roots (bounded by the
// store's size; skip reports files to leave out).
func (b *Backup) PreserveTree(ctx context.Context, roots []string, skip func(string) bool) {
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil || !d.Type().IsRegular() || skip(p) {
				return nil
			}
			_ = b.Preserve(p)
			return nil
		})
	}
}
