package quarantine

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Layout of a store directory (0700):
//
//	key              32 random bytes, 0600
//	items/ID.blob    the encrypted file, 0600
//	items/ID.json    its Record, 0600
//	history.jsonl    one line per action (quarantine, restore, delete)
//
// Temporary files start with "." and are removed by Open.
const (
	keyName     = "key"
	itemsDir    = "items"
	historyName = "history.jsonl"
	blobExt     = ".blob"
	recordExt   = ".json"
	maxRecord   = 64 << 10
)

// DefaultMaxSize is the largest file quarantined unless Options say otherwise.
const DefaultMaxSize = 512 << 20

// ErrNotFound is returned (wrapped) for an unknown record id.
var ErrNotFound = errors.New("no such quarantined file")

// ErrTooLarge is returned (wrapped) for a file over the size limit.
var ErrTooLarge = errors.New("file larger than the quarantine size limit")

// ErrExists is returned (wrapped) when a restore would overwrite a file.
var ErrExists = errors.New("restore target exists")

// Reason says why a file was quarantined.
type Reason struct {
	Rule   string `json:"rule,omitempty"`   // e.g. "default:EICAR_Test_File" or "sha256 indicator"
	Source string `json:"source,omitempty"` // what detected it: "scan", "on-access", "console", "miner"
	Detail string `json:"detail,omitempty"` // free text
}

// Record describes one quarantined file.
type Record struct {
	ID           string    `json:"id"`
	OriginalPath string    `json:"original_path"`
	SHA256       string    `json:"sha256"`
	Size         int64     `json:"size"`
	Mode         uint32    `json:"mode"`          // os.FileMode bits of the original
	ModeString   string    `json:"mode_string"`   // e.g. "-rwxr-xr-x", for people
	UID          *int      `json:"uid,omitempty"` // owner, where the platform has one
	GID          *int      `json:"gid,omitempty"`
	Reason       Reason    `json:"reason"`
	Time         time.Time `json:"time"`
	Host         string    `json:"host,omitempty"`
}

// Options tune a store. The zero value is usable.
type Options struct {
	MaxSize int64 // largest file accepted; 0 means DefaultMaxSize
	chunk   int   // blob chunk size; tests shrink it
}

// Store is a quarantine directory. Its methods are safe for concurrent use
// within one process; across processes each step is an atomic rename.
type Store struct {
	dir  string
	key  []byte
	opts Options
	host string
	mu   sync.Mutex
	// removeOriginal is os.Remove; tests replace it to simulate failures.
	removeOriginal func(string) error
}

// Open opens (creating if needed) the store in dir.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith opens the store in dir with options.
func OpenWith(dir string, opts Options) (*Store, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.chunk <= 0 {
		opts.chunk = defaultChunk
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("quarantine dir %q: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, itemsDir), 0o700); err != nil {
		return nil, fmt.Errorf("create quarantine dir: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone; tighten it.
	for _, d := range []string{abs, filepath.Join(abs, itemsDir)} {
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, fmt.Errorf("quarantine dir: %w", err)
		}
	}
	key, err := loadKey(filepath.Join(abs, keyName))
	if err != nil {
		return nil, err
	}
	s := &Store{dir: abs, key: key, opts: opts, removeOriginal: os.Remove}
	s.host, _ = os.Hostname()
	if err := s.recover(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the store's absolute directory.
func (s *Store) Dir() string { return s.dir }

func loadKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("quarantine key %s: %d bytes, want 32", path, len(key))
		}
		return key, os.Chmod(path, 0o600)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read quarantine key: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate quarantine key: %w", err)
	}
	// Write beside, then link into place: if two processes race, one key wins
	// and the loser reads it.
	if err := writeFileSync(path, key); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadKey(path)
		}
		return nil, fmt.Errorf("write quarantine key: %w", err)
	}
	return key, nil
}

// writeFileSync creates path exclusively (0600) with data, fsynced.
func writeFileSync(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, path)
	}
	os.Remove(tmp)
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// leftoverAge is how old a temporary file or record-less blob must be
// before Open removes it: younger ones may belong to a quarantine another
// process (the agent) is doing right now.
const leftoverAge = 10 * time.Minute

// recover removes what an interrupted operation left behind: temporary
// files, and blobs without a record (the quarantine never finished, so the
// original is still in place; or a delete was interrupted after the record).
func (s *Store) recover() error {
	ents, err := os.ReadDir(filepath.Join(s.dir, itemsDir))
	if err != nil {
		return fmt.Errorf("read quarantine dir: %w", err)
	}
	recs := map[string]bool{}
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), recordExt); ok && !strings.HasPrefix(e.Name(), ".") {
			recs[id] = true
		}
	}
	for _, e := range ents {
		n := e.Name()
		id, isBlob := strings.CutSuffix(n, blobExt)
		if !strings.HasPrefix(n, ".") && !(isBlob && !recs[id]) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > leftoverAge {
			os.Remove(filepath.Join(s.dir, itemsDir, n))
		}
	}
	return nil
}

func (s *Store) blobPath(id string) string {
	return filepath.Join(s.dir, itemsDir, id+blobExt)
}

func (s *Store) recordPath(id string) string {
	return filepath.Join(s.dir, itemsDir, id+recordExt)
}

// validID accepts the ids this package makes (UUIDs) and nothing that could
// walk out of the store.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
}

// Get returns one record.
func (s *Store) Get(id string) (Record, error) {
	if !validID(id) {
		return Record{}, fmt.Errorf("quarantine id %q: %w", id, ErrNotFound)
	}
	b, err := readLimited(s.recordPath(id), maxRecord)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, fmt.Errorf("quarantine id %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("read record %s: %w", id, err)
	}
	return decodeRecord(b, id)
}

func decodeRecord(b []byte, id string) (Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("record %s: %w", id, err)
	}
	if r.ID != id {
		return Record{}, fmt.Errorf("record %s: names id %q", id, r.ID)
	}
	return r, nil
}

func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, over %d", path, st.Size(), max)
	}
	b := make([]byte, st.Size())
	_, err = f.ReadAt(b, 0)
	return b, err
}

// List returns all records, oldest first. A record that cannot be read is
// reported in the error but does not hide the others.
func (s *Store) List() ([]Record, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, itemsDir))
	if err != nil {
		return nil, fmt.Errorf("list quarantine: %w", err)
	}
	var out []Record
	var errs []error
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), recordExt)
		if !ok || strings.HasPrefix(id, ".") {
			continue
		}
		r, err := s.Get(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].ID < out[j].ID
	})
	return out, errors.Join(errs...)
}

// Delete removes a quarantined file for good.
func (s *Store) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.Get(id)
	if err != nil {
		return err
	}
	if err := s.remove(id); err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	s.history("delete", r, "")
	return nil
}

// remove drops the record first, then the blob: a crash in between leaves an
// orphan blob that Open removes.
func (s *Store) remove(id string) error {
	if err := os.Remove(s.recordPath(id)); err != nil {
		return err
	}
	if err := os.Remove(s.blobPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Join(s.dir, itemsDir))
}

type historyLine struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	ID     string    `json:"id"`
	Path   string    `json:"path"`
	SHA256 string    `json:"sha256"`
	Detail string    `json:"detail,omitempty"`
}

// history appends one line to the local action log. It is best effort: the
// authoritative audit trail is the agent's event stream.
func (s *Store) history(action string, r Record, detail string) {
	b, err := json.Marshal(historyLine{Time: time.Now().UTC(), Action: action, ID: r.ID, Path: r.OriginalPath, SHA256: r.SHA256, Detail: detail})
	if err != nil {
		return
	}
	f, err := os.OpenFile(filepath.Join(s.dir, historyName), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	f.Write(append(b, '\n'))
	f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !isSyncUnsupported(err) {
		return err
	}
	return nil
}

func jsonRecord(r Record) ([]byte, error) { return json.MarshalIndent(r, "", "  ") }
