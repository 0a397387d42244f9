package yara

import (
	"bufio"
	"compress/gzip"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/medshield/medshield/internal/yara/syntax"
)

// IsRuleFile reports whether name has a YARA rule file extension.
func IsRuleFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yar", ".yara":
		return true
	}
	return false
}

// AddPaths compiles rule files and directories. A directory's files
// (recursively, *.yar and *.yara) each get their own namespace: the file's
// path relative to the directory, as yarac does with namespace:file. A file
// named directly goes to the "default" namespace. Errors of bad rules are
// collected in the compiler; the returned error is only for unreadable
// paths.
func (c *Compiler) AddPaths(paths []string) (files int, err error) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return files, fmt.Errorf("rules %s: %w", p, err)
		}
		if !st.IsDir() {
			files++
			c.AddFile(p, "default")
			continue
		}
		var list []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && IsRuleFile(path) {
				list = append(list, path)
			}
			return nil
		})
		if err != nil {
			return files, fmt.Errorf("rules %s: %w", p, err)
		}
		sort.Strings(list)
		for _, f := range list {
			rel, _ := filepath.Rel(p, f)
			files++
			c.AddFile(f, filepath.ToSlash(rel))
		}
	}
	return files, nil
}

// compiledMagic starts a rule set saved in the first format (validated
// sources, recompiled when loaded); Load still reads it.
const compiledMagic = "MEDSHIELD-YARA\x00\x01"

// IsCompiled reports whether the file at path is a saved rule set.
func IsCompiled(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(compiledMagic))
	n, _ := io.ReadFull(f, head)
	return string(head[:n]) == compiledMagic || n >= len(binMagic) && string(head[:len(binMagic)]) == binMagic
}

type savedExternal struct {
	Name string
	Kind string // int, float, string, bool
	I    int64
	F    float64
	S    string
}

type savedRules struct {
	Sources   []Source
	Includes  map[string][]byte
	Externals []savedExternal
}

// Load restores a rule set written by Save, binding module imports to
// opts.Modules by name (opts.Externals and opts.ReadFile are taken from the
// file). Files of the first format (sources) are recompiled.
func Load(r io.Reader, opts Options) (*Rules, error) {
	br := bufio.NewReader(r)
	if peek, _ := br.Peek(len(binMagic)); string(peek) == binMagic {
		return loadBinary(br, opts)
	}
	r = br
	head := make([]byte, len(compiledMagic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != compiledMagic {
		return nil, errors.New("load rules: not a medshield compiled rule file")
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	var sv savedRules
	if err := gob.NewDecoder(io.LimitReader(zr, 1<<30)).Decode(&sv); err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	opts.Externals = map[string]any{}
	for _, e := range sv.Externals {
		switch e.Kind {
		case "int":
			opts.Externals[e.Name] = e.I
		case "float":
			opts.Externals[e.Name] = e.F
		case "string":
			opts.Externals[e.Name] = e.S
		case "bool":
			opts.Externals[e.Name] = e.I != 0
		}
	}
	opts.ReadFile = func(path string) ([]byte, error) {
		if b, ok := sv.Includes[path]; ok {
			return b, nil
		}
		return nil, fmt.Errorf("include %s not in the compiled file", path)
	}
	c, err := NewCompiler(opts)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	for _, s := range sv.Sources {
		c.AddSource(s.Name, s.Namespace, s.Text)
	}
	// Rules rejected when the file was compiled are rejected again; they
	// were reported then, so only the usable set matters here.
	rs, _ := c.Rules()
	return rs, nil
}

// CompileErrors returns err's individual diagnostics when it came from the
// compiler.
func CompileErrors(err error) syntax.ErrorList {
	var el syntax.ErrorList
	if errors.As(err, &el) {
		return el
	}
	return nil
}
