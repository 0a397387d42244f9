package inventory

import (
	"context"
	"debug/buildinfo"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ReadGoBinary returns the Go modules compiled into a binary (main module,
// dependencies with replacements applied, and the toolchain as "stdlib"),
// in the OSV "Go" ecosystem. A file that is not a Go binary returns an error.
func ReadGoBinary(path string) ([]Package, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Package
	add := func(name, ver string) {
		if name == "" || ver == "" || ver == "(devel)" {
			return
		}
		out = append(out, Package{Name: name, Version: strings.TrimPrefix(ver, "v"), Manager: GoBin, Ecosystem: "Go", Location: path})
	}
	if v, ok := strings.CutPrefix(bi.GoVersion, "go"); ok {
		// "go1.22.3 X:boringcrypto" → 1.22.3
		v, _, _ = strings.Cut(v, " ")
		add("stdlib", v)
	}
	add(bi.Main.Path, bi.Main.Version)
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		add(d.Path, d.Version)
	}
	return out, nil
}

// maxGoBinarySize skips files too large to be worth opening.
const maxGoBinarySize = 1 << 30

// ScanGoBinaries walks roots and reads every regular executable file that
// is a Go binary. Unreadable files and non-Go files are skipped silently;
// walk errors are returned as warnings.
func ScanGoBinaries(ctx context.Context, roots []string) ([]Package, []string) {
	var out []Package
	var warnings []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				warnings = append(warnings, err.Error())
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil || info.Size() > maxGoBinarySize || info.Size() < 1024 {
				return nil
			}
			if info.Mode()&0o111 == 0 && !strings.EqualFold(filepath.Ext(p), ".exe") {
				return nil
			}
			pk, err := ReadGoBinary(p)
			if err == nil {
				out = append(out, pk...)
			}
			return nil
		})
		if err != nil && ctx.Err() == nil {
			warnings = append(warnings, err.Error())
		}
	}
	return out, warnings
}

// fileExists reports whether a regular file exists.
func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
