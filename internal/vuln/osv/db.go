package osv

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Entry is one affected entry of one record, as indexed.
type Entry struct {
	Vuln     *Vulnerability
	Affected *Affected
}

// FileProblem is a problem with one input file; it never stops a load.
type FileProblem struct {
	File     string
	Err      error
	Problems []Problem
}

func (p FileProblem) String() string {
	if p.Err != nil {
		return p.File + ": " + p.Err.Error()
	}
	return p.File + ": " + ProblemsString(p.Problems)
}

// Stats counts what a load did.
type Stats struct {
	Files     int
	Records   int // indexed
	Withdrawn int // skipped: withdrawn
	Rejected  int // skipped: parse or lint errors
	Replaced  int // same id seen again; the newest modified kept
	Entries   int // indexed affected entries
}

// DB is an in-memory OSV database indexed by (ReleaseKey(ecosystem),
// package name). It is built once and then read concurrently.
type DB struct {
	byID     map[string]*Vulnerability
	index    map[string][]Entry
	Stats    Stats
	Problems []FileProblem
	// KeepDetails keeps records' details text (off by default: it is the
	// bulk of the memory and findings link to the advisory instead).
	KeepDetails bool
}

// NewDB returns an empty DB.
func NewDB() *DB {
	return &DB{byID: map[string]*Vulnerability{}, index: map[string][]Entry{}}
}

func key(eco, name string) string {
	return ReleaseKey(eco) + "\x00" + NormalizeName(eco, name)
}

// Add lints and indexes one record. Withdrawn records are counted and
// skipped; a record with lint errors is rejected with the problems.
func (db *DB) Add(v *Vulnerability) ([]Problem, error) {
	ps := Lint(v)
	if HasErrors(ps) {
		db.Stats.Rejected++
		return ps, fmt.Errorf("record %q: %s", v.ID, ProblemsString(ps))
	}
	if v.Withdrawn != "" {
		db.Stats.Withdrawn++
		return ps, nil
	}
	if old, ok := db.byID[v.ID]; ok {
		db.Stats.Replaced++
		if old.Modified > v.Modified {
			return ps, nil
		}
		db.remove(old)
	}
	if !db.KeepDetails {
		v.Details = ""
	}
	db.byID[v.ID] = v
	db.Stats.Records++
	for i := range v.Affected {
		a := &v.Affected[i]
		if a.Package.Name == "" {
			continue // GIT-only entries cannot match installed packages
		}
		k := key(a.Package.Ecosystem, a.Package.Name)
		db.index[k] = append(db.index[k], Entry{Vuln: v, Affected: a})
		db.Stats.Entries++
	}
	return ps, nil
}

func (db *DB) remove(v *Vulnerability) {
	db.Stats.Records--
	for i := range v.Affected {
		a := &v.Affected[i]
		if a.Package.Name == "" {
			continue
		}
		k := key(a.Package.Ecosystem, a.Package.Name)
		es := db.index[k][:0]
		for _, e := range db.index[k] {
			if e.Vuln != v {
				es = append(es, e)
			} else {
				db.Stats.Entries--
			}
		}
		db.index[k] = es
	}
}

// Lookup returns the entries for a package in an ecosystem.
func (db *DB) Lookup(eco, name string) []Entry { return db.index[key(eco, name)] }

// Get returns a record by id.
func (db *DB) Get(id string) *Vulnerability { return db.byID[id] }

// Len is the number of indexed records.
func (db *DB) Len() int { return len(db.byID) }

// Load adds a path: a .json record, a .zip export, or a directory walked
// for both. Per-file problems are collected in db.Problems; only an
// unreadable top-level path or cancellation is an error.
func (db *DB) Load(ctx context.Context, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("osv: %w", err)
	}
	if !st.IsDir() {
		return db.loadFile(ctx, path)
	}
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			db.Problems = append(db.Problems, FileProblem{File: p, Err: err})
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.Type().IsRegular() {
			return db.loadFile(ctx, p)
		}
		return nil
	})
}

func (db *DB) loadFile(ctx context.Context, p string) error {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".json":
		data, err := readLimited(p)
		if err != nil {
			db.Problems = append(db.Problems, FileProblem{File: p, Err: err})
			return nil
		}
		db.addData(p, data)
	case ".zip":
		return db.loadZip(ctx, p)
	}
	return nil
}

func readLimited(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllLimited(f)
}

func readAllLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("record larger than %d bytes", MaxRecordSize)
	}
	return data, nil
}

func (db *DB) addData(name string, data []byte) {
	db.Stats.Files++
	v, err := Parse(data)
	if err != nil {
		db.Stats.Rejected++
		db.Problems = append(db.Problems, FileProblem{File: name, Err: err})
		return
	}
	ps, err := db.Add(v)
	if err != nil || len(ps) > 0 {
		db.Problems = append(db.Problems, FileProblem{File: name, Problems: ps})
	}
}

// maxZipEntries bounds an archive; osv.dev's largest ecosystem export has
// a few hundred thousand records.
const maxZipEntries = 2_000_000

// loadZip reads an osv.dev all.zip: one record per .json member.
func (db *DB) loadZip(ctx context.Context, p string) error {
	zr, err := zip.OpenReader(p)
	if err != nil {
		db.Problems = append(db.Problems, FileProblem{File: p, Err: err})
		return nil
	}
	defer zr.Close()
	if len(zr.File) > maxZipEntries {
		db.Problems = append(db.Problems, FileProblem{File: p, Err: fmt.Errorf("%d entries, limit %d", len(zr.File), maxZipEntries)})
		return nil
	}
	for _, f := range zr.File {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if f.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(f.Name), ".json") {
			continue
		}
		name := p + "!" + f.Name
		rc, err := f.Open()
		if err != nil {
			db.Problems = append(db.Problems, FileProblem{File: name, Err: err})
			continue
		}
		data, err := readAllLimited(rc)
		rc.Close()
		if err != nil {
			db.Problems = append(db.Problems, FileProblem{File: name, Err: err})
			continue
		}
		db.addData(name, data)
	}
	return nil
}
