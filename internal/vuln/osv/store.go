package osv

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The file-based database under a data directory:
//
//	DATA/vuln/osv/NAME.zip   one OSV export per source (osv.dev all.zip layout)
//	DATA/vuln/manifest.json  what was imported when, with record counts
//
// A zip per source keeps imports atomic (written to a temporary file and
// renamed) and lets the server load everything with DB.Load.

// Source is one imported export.
type Source struct {
	Name       string    `json:"name"`
	File       string    `json:"file"`
	ImportedAt time.Time `json:"imported_at"`
	Origin     string    `json:"origin"`
	Records    int       `json:"records"`
	Withdrawn  int       `json:"withdrawn"`
	Rejected   int       `json:"rejected"`
	SHA256     string    `json:"sha256"`
}

// Manifest lists the imported sources.
type Manifest struct {
	Sources []Source `json:"sources"`
}

// Dir returns DATA/vuln/osv.
func Dir(data string) string { return filepath.Join(data, "vuln", "osv") }

func manifestPath(data string) string { return filepath.Join(data, "vuln", "manifest.json") }

// ReadManifest reads DATA/vuln/manifest.json; a missing file is an empty
// manifest.
func ReadManifest(data string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(manifestPath(data))
	if os.IsNotExist(err) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", manifestPath(data), err)
	}
	return m, nil
}

// Stale reports the sources imported longer than maxAge before now.
func (m Manifest) Stale(now time.Time, maxAge time.Duration) []Source {
	var out []Source
	for _, s := range m.Sources {
		if now.Sub(s.ImportedAt) > maxAge {
			out = append(out, s)
		}
	}
	return out
}

func writeManifest(data string, m Manifest) error {
	sort.Slice(m.Sources, func(i, j int) bool { return m.Sources[i].Name < m.Sources[j].Name })
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := manifestPath(data) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, manifestPath(data))
}

// sourceName makes a file-system-safe name ("Red Hat" → "Red_Hat").
func sourceName(s string) string {
	s = strings.TrimSuffix(filepath.Base(s), filepath.Ext(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "osv"
	}
	return b.String()
}

// Import stores an OSV export (a .zip or a directory of .json records)
// in the data directory under name (default: derived from src), after
// checking that it loads. It returns what was stored.
func Import(ctx context.Context, src, data, name, origin string) (Source, error) {
	st, err := os.Stat(src)
	if err != nil {
		return Source{}, fmt.Errorf("import: %w", err)
	}
	if name == "" {
		name = sourceName(src)
		if st.IsDir() {
			name = sourceName(filepath.Base(filepath.Clean(src)))
		}
	} else {
		name = sourceName(name)
	}
	if err := os.MkdirAll(Dir(data), 0o755); err != nil {
		return Source{}, fmt.Errorf("import: %w", err)
	}
	final := filepath.Join(Dir(data), name+".zip")
	tmp, err := os.CreateTemp(Dir(data), "."+name+"-*.zip")
	if err != nil {
		return Source{}, fmt.Errorf("import: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	if st.IsDir() {
		err = zipDir(ctx, src, w)
	} else {
		var f *os.File
		if f, err = os.Open(src); err == nil {
			_, err = io.Copy(w, f)
			f.Close()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Source{}, fmt.Errorf("import %s: %w", src, err)
	}
	// Check the copy, not the source: this is what will be served.
	db := NewDB()
	if err := db.Load(ctx, tmp.Name()); err != nil {
		return Source{}, fmt.Errorf("import %s: %w", src, err)
	}
	if db.Stats.Files == 0 {
		msg := "no OSV records found"
		if len(db.Problems) > 0 {
			msg = db.Problems[0].String()
		}
		return Source{}, fmt.Errorf("import %s: %s", src, msg)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Source{}, fmt.Errorf("import: %w", err)
	}
	s := Source{Name: name, File: filepath.Base(final), ImportedAt: time.Now().UTC(), Origin: origin,
		Records: db.Stats.Records, Withdrawn: db.Stats.Withdrawn, Rejected: db.Stats.Rejected, SHA256: hex.EncodeToString(h.Sum(nil))}
	if s.Origin == "" {
		s.Origin = src
	}
	m, err := ReadManifest(data)
	if err != nil {
		return s, err
	}
	kept := m.Sources[:0]
	for _, o := range m.Sources {
		if o.Name != name {
			kept = append(kept, o)
		}
	}
	m.Sources = append(kept, s)
	return s, writeManifest(data, m)
}

// zipDir packs every .json file under dir into a zip.
func zipDir(ctx context.Context, dir string, w io.Writer) error {
	zw := zip.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".json") {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zf, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		_, err = io.Copy(zf, io.LimitReader(f, MaxRecordSize+1))
		return err
	})
	if err != nil {
		return err
	}
	return zw.Close()
}
