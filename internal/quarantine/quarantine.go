package quarantine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
)

// countingHash hashes and counts what passes through it.
type countingHash struct {
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

// Quarantine moves the regular file at path into the store: the encrypted
// copy and its record are made durable first, then the original is removed.
// If the original cannot be removed, the copy is dropped again and the error
// says so: the file is then still where it was.
func (s *Store) Quarantine(path string, reason Reason) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	abs, err := filepath.Abs(path)
	if err != nil {
		return Record{}, fmt.Errorf("quarantine %q: %w", path, err)
	}
	if abs == s.dir || strings.HasPrefix(abs, s.dir+string(filepath.Separator)) {
		return Record{}, fmt.Errorf("quarantine %s: file is inside the quarantine store", abs)
	}
	lst, err := os.Lstat(abs)
	if err != nil {
		return Record{}, fmt.Errorf("quarantine: %w", err)
	}
	if !lst.Mode().IsRegular() {
		return Record{}, fmt.Errorf("quarantine %s: not a regular file (%s)", abs, lst.Mode().Type())
	}
	if lst.Size() > s.opts.MaxSize {
		return Record{}, fmt.Errorf("quarantine %s: %d bytes: %w (%d)", abs, lst.Size(), ErrTooLarge, s.opts.MaxSize)
	}
	f, err := os.Open(abs)
	if err != nil {
		return Record{}, fmt.Errorf("quarantine: %w", err)
	}
	defer f.Close()
	fst, err := f.Stat()
	if err != nil {
		return Record{}, fmt.Errorf("quarantine %s: %w", abs, err)
	}
	if !os.SameFile(lst, fst) {
		return Record{}, fmt.Errorf("quarantine %s: file replaced while opening", abs)
	}
	rec := Record{OriginalPath: abs, Mode: uint32(fst.Mode()), ModeString: fst.Mode().String(), Reason: reason}
	rec.UID, rec.GID = owner(fst)
	if err := s.store(f, &rec); err != nil {
		return Record{}, fmt.Errorf("quarantine %s: %w", abs, err)
	}
	id := rec.ID
	// Only now is it safe to remove the original: the blob must still be
	// there (nothing cleaned it up meanwhile), and the path must still name
	// the file we copied, so a swapped-in file is not deleted unseen.
	if _, err := os.Stat(s.blobPath(id)); err != nil {
		s.remove(id)
		return Record{}, fmt.Errorf("quarantine %s: stored copy vanished (%v); left in place", abs, err)
	}
	if now, err := os.Lstat(abs); err != nil || !os.SameFile(now, fst) {
		s.remove(id)
		return Record{}, fmt.Errorf("quarantine %s: file replaced while copying; left in place", abs)
	}
	f.Close() // Windows cannot remove an open file
	if err := s.removeOriginal(abs); err != nil {
		s.remove(id)
		return Record{}, fmt.Errorf("quarantine %s: remove original (left in place): %w", abs, err)
	}
	_ = syncDir(filepath.Dir(abs))
	s.history("quarantine", rec, reason.Rule)
	return rec, nil
}

// store writes the encrypted copy of r and then rec (given an id, time,
// host, size and sha256 here), both durable when it returns.
func (s *Store) store(r io.Reader, rec *Record) error {
	u, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("id: %w", err)
	}
	id := u.String()
	rec.ID, rec.Time, rec.Host = id, time.Now().UTC(), s.host
	sum := &countingHash{h: sha256.New()}
	// Read one byte past the limit so a file that grew is caught.
	src := io.TeeReader(io.LimitReader(r, s.opts.MaxSize+1), sum)
	if err := s.writeAtomic(s.blobPath(id), func(w io.Writer) error {
		return encrypt(w, src, s.key, []byte(id), s.opts.chunk)
	}); err != nil {
		return fmt.Errorf("write blob: %w", err)
	}
	if sum.n > s.opts.MaxSize {
		os.Remove(s.blobPath(id))
		return fmt.Errorf("grew while copying: %w (%d)", ErrTooLarge, s.opts.MaxSize)
	}
	rec.Size = sum.n
	rec.SHA256 = hex.EncodeToString(sum.h.Sum(nil))
	rb, err := jsonRecord(*rec)
	if err != nil {
		os.Remove(s.blobPath(id))
		return err
	}
	if err := s.writeAtomic(s.recordPath(id), func(w io.Writer) error { _, err := w.Write(rb); return err }); err != nil {
		os.Remove(s.blobPath(id))
		return fmt.Errorf("write record: %w", err)
	}
	if err := syncDir(filepath.Join(s.dir, itemsDir)); err != nil {
		s.remove(id)
		return fmt.Errorf("sync store: %w", err)
	}
	return nil
}

// Preserve stores content read from r under originalPath without touching
// any file: for a binary already deleted from disk but still readable (on
// Linux, /proc/PID/exe of a running miner), or evidence collected elsewhere.
// Restore writes it to originalPath with mode.
func (s *Store) Preserve(r io.Reader, originalPath string, mode fs.FileMode, reason Reason) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !filepath.IsAbs(originalPath) {
		return Record{}, fmt.Errorf("preserve: original path %q is not absolute", originalPath)
	}
	rec := Record{OriginalPath: filepath.Clean(originalPath), Mode: uint32(mode), ModeString: mode.String(), Reason: reason}
	if err := s.store(r, &rec); err != nil {
		return Record{}, fmt.Errorf("preserve %s: %w", originalPath, err)
	}
	s.history("preserve", rec, reason.Rule)
	return rec, nil
}

// writeAtomic writes path through a temporary file, fsyncs and renames it.
func (s *Store) writeAtomic(path string, fill func(io.Writer) error) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = fill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// RestoreOptions choose where a file goes back to.
type RestoreOptions struct {
	// To is the target path; "" means the original path. An existing
	// directory means "into this directory, under the original name".
	To string
	// Overwrite allows replacing an existing file at the target.
	Overwrite bool
}

// Restore decrypts a quarantined file back to its original path (or to, if
// not empty), refusing to overwrite an existing file, then removes it from
// the store. Mode and, when running as root, owner are restored too.
func (s *Store) Restore(id, to string) error {
	_, err := s.RestoreWith(id, RestoreOptions{To: to})
	return err
}

// RestoreWith is Restore with options; it returns the path written.
func (s *Store) RestoreWith(id string, opt RestoreOptions) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.Get(id)
	if err != nil {
		return "", err
	}
	target := rec.OriginalPath
	if opt.To != "" {
		if target, err = filepath.Abs(opt.To); err != nil {
			return "", fmt.Errorf("restore %s: %w", id, err)
		}
		if st, err := os.Stat(target); err == nil && st.IsDir() {
			target = filepath.Join(target, filepath.Base(rec.OriginalPath))
		}
	}
	if strings.HasPrefix(target, s.dir+string(filepath.Separator)) {
		return "", fmt.Errorf("restore %s: target %s is inside the quarantine store", id, target)
	}
	if _, err := os.Lstat(target); err == nil && !opt.Overwrite {
		return "", fmt.Errorf("restore %s to %s: %w (ask to overwrite)", id, target, ErrExists)
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("restore %s: %w", id, err)
	}
	tmp, err := os.CreateTemp(dir, ".medshield-restore-*")
	if err != nil {
		return "", fmt.Errorf("restore %s: %w", id, err)
	}
	tmpName := tmp.Name()
	placed := false
	defer func() {
		if !placed {
			os.Remove(tmpName)
		}
	}()
	sum := &countingHash{h: sha256.New()}
	err = s.decryptTo(io.MultiWriter(tmp, sum), id)
	if err == nil && (sum.n != rec.Size || hex.EncodeToString(sum.h.Sum(nil)) != rec.SHA256) {
		err = fmt.Errorf("%w: content does not match the record's size and sha256", ErrTampered)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("restore %s: %w", id, err)
	}
	// chown before chmod: the kernel clears set-id bits on chown.
	chown(tmpName, rec.UID, rec.GID)
	mode := fs.FileMode(rec.Mode)
	if err := os.Chmod(tmpName, mode.Perm()|mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return "", fmt.Errorf("restore %s: %w", id, err)
	}
	if err := place(tmpName, target, opt.Overwrite); err != nil {
		return "", fmt.Errorf("restore %s to %s: %w", id, target, err)
	}
	placed = true
	_ = syncDir(dir)
	if err := s.remove(id); err != nil {
		return target, fmt.Errorf("restore %s: restored to %s but not removed from the store: %w", id, target, err)
	}
	s.history("restore", rec, target)
	return target, nil
}

// place moves tmp to target. Without overwrite it uses a hard link, which
// fails atomically if target appeared meanwhile.
func place(tmp, target string, overwrite bool) error {
	if overwrite {
		return os.Rename(tmp, target)
	}
	err := os.Link(tmp, target)
	if err == nil {
		os.Remove(tmp)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return ErrExists
	}
	// File systems without hard links: check, then rename (a small race).
	if _, serr := os.Lstat(target); serr == nil {
		return ErrExists
	}
	return os.Rename(tmp, target)
}

func (s *Store) decryptTo(w io.Writer, id string) error {
	f, err := os.Open(s.blobPath(id))
	if err != nil {
		return fmt.Errorf("open blob: %w", err)
	}
	defer f.Close()
	return decrypt(w, f, s.key, []byte(id))
}

// Verify decrypts a quarantined file without restoring it and checks it
// against its record, so a damaged store is found before it is needed.
func (s *Store) Verify(id string) error {
	rec, err := s.Get(id)
	if err != nil {
		return err
	}
	sum := &countingHash{h: sha256.New()}
	if err := s.decryptTo(sum, id); err != nil {
		return fmt.Errorf("verify %s: %w", id, err)
	}
	if sum.n != rec.Size || hex.EncodeToString(sum.h.Sum(nil)) != rec.SHA256 {
		return fmt.Errorf("verify %s: %w: content does not match the record", id, ErrTampered)
	}
	return nil
}
