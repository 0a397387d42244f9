package sca

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Load reads a policy file or every .yml/.yaml policy under a directory.
// Files that fail to parse are reported as diagnostics; the rest load.
func Load(path string) ([]*Policy, []Diagnostic, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	var files []string
	if st.IsDir() {
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ext := strings.ToLower(filepath.Ext(p)); !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("listing policies: %w", err)
		}
		sort.Strings(files)
	} else {
		files = []string{path}
	}
	return loadFiles(files, func(p string) ([]byte, error) { return os.ReadFile(p) })
}

// LoadFS reads every policy in an fs.FS (the embedded rules/baseline).
func LoadFS(fsys fs.FS) ([]*Policy, []Diagnostic, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := strings.ToLower(filepath.Ext(p)); !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(files)
	return loadFiles(files, func(p string) ([]byte, error) { return fs.ReadFile(fsys, p) })
}

func loadFiles(files []string, read func(string) ([]byte, error)) ([]*Policy, []Diagnostic, error) {
	var out []*Policy
	var diags []Diagnostic
	for _, f := range files {
		data, err := read(f)
		if err != nil {
			diags = append(diags, Diagnostic{File: f, Message: err.Error()})
			continue
		}
		p, ds, err := Parse(f, data)
		diags = append(diags, ds...)
		if err != nil {
			diags = append(diags, Diagnostic{File: f, Message: err.Error()})
			continue
		}
		out = append(out, p)
	}
	return out, diags, nil
}
