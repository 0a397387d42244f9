// Package yara is medshield's pure-Go YARA-compatible engine: a compiler
// that type-checks rules (against module schemas), extracts atoms from every
// string and builds one Aho-Corasick automaton over the whole rule set, and a
// scanner that verifies candidate atoms, evaluates conditions and reports
// matching rules. A compiled Rules value is read-only and shared by any
// number of concurrent scans.
//
// It does not walk directories, read hash lists or quarantine files (the
// scan command wires those), and imports nothing from agent, server, store
// or console. Parsing lives in yara/syntax, byte patterns in yara/re and
// modules in yara/module.
package yara

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/syntax"
)

// Options configure a Compiler.
type Options struct {
	// Modules are the modules rules may import; an import of any other name
	// is rejected.
	Modules []module.Module
	// Externals are the external variables and their default values
	// (int64, float64, string or bool).
	Externals map[string]any
	// ReadFile reads included files; nil means os.ReadFile.
	ReadFile func(path string) ([]byte, error)
	// DisableIncludes rejects include directives.
	DisableIncludes bool
}

// Compiler compiles rule sources into Rules. Each bad rule is reported and
// skipped; the others still compile.
type Compiler struct {
	opts      Options
	fset      *syntax.FileSet
	mods      map[string]module.Module
	externals map[string]*external
	extList   []*external
	rs        *Rules
	errs      syntax.ErrorList
	warns     syntax.ErrorList
	ns        map[string]*nsInfo
	sources   []Source
	includes  map[string][]byte // every included file read, for Save
	including map[string]bool
}

type nsInfo struct {
	name      string
	rules     map[string]*Rule
	wildcards []string // rule-set wildcards already used (a later rule may not match them)
}

type external struct {
	name  string
	index int
	typ   vtype
	def   value
}

// Source is one rule source as given to the compiler; Rules keep them so a
// compiled set can be saved and reloaded.
type Source struct {
	Name      string
	Namespace string
	Text      []byte
}

// NewCompiler returns a compiler.
func NewCompiler(opts Options) (*Compiler, error) {
	c := &Compiler{opts: opts, fset: syntax.NewFileSet(), mods: map[string]module.Module{},
		externals: map[string]*external{}, ns: map[string]*nsInfo{}, including: map[string]bool{}, includes: map[string][]byte{}}
	for _, m := range opts.Modules {
		c.mods[m.Name()] = m
	}
	names := make([]string, 0, len(opts.Externals))
	for k := range opts.Externals {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v, t, err := externalValue(opts.Externals[k])
		if err != nil {
			return nil, fmt.Errorf("external %q: %w", k, err)
		}
		e := &external{name: k, index: len(c.extList), typ: t, def: v}
		c.externals[k] = e
		c.extList = append(c.extList, e)
	}
	c.rs = &Rules{fset: c.fset, modIndex: map[string]int{}}
	return c, nil
}

func externalValue(v any) (value, vtype, error) {
	switch x := v.(type) {
	case int:
		return value{i: int64(x)}, tInt, nil
	case int64:
		return value{i: x}, tInt, nil
	case float64:
		return value{f: x}, tFloat, nil
	case string:
		return value{s: []byte(x)}, tStr, nil
	case bool:
		if x {
			return value{i: 1}, tBool, nil
		}
		return value{}, tBool, nil
	}
	return value{}, 0, fmt.Errorf("unsupported type %T", v)
}

// AddFile compiles the rule file at path into namespace ns ("" means
// "default"). It returns this file's errors; rules without errors are kept.
func (c *Compiler) AddFile(path, ns string) error {
	src, err := c.readFile(path)
	if err != nil {
		return fmt.Errorf("read rules: %w", err)
	}
	return c.add(path, ns, src)
}

// AddSource compiles rule text; name is used in error positions.
func (c *Compiler) AddSource(name, ns string, src []byte) error {
	return c.add(name, ns, src)
}

func (c *Compiler) readFile(path string) ([]byte, error) {
	if c.opts.ReadFile != nil {
		return c.opts.ReadFile(path)
	}
	return os.ReadFile(path)
}

func (c *Compiler) add(name, ns string, src []byte) error {
	if ns == "" {
		ns = "default"
	}
	before := len(c.errs)
	c.sources = append(c.sources, Source{Name: name, Namespace: ns, Text: src})
	c.compileSource(name, ns, src, map[string]bool{})
	if len(c.errs) > before {
		return append(syntax.ErrorList(nil), c.errs[before:]...)
	}
	return nil
}

// fileScope is what a rule sees of its file: the modules it imported.
type fileScope struct {
	imports map[string]bool
}

func (c *Compiler) compileSource(name, ns string, src []byte, imports map[string]bool) {
	f, err := syntax.Parse(c.fset, name, src)
	if err != nil {
		if el, ok := err.(syntax.ErrorList); ok {
			c.errs = append(c.errs, el...)
		} else {
			c.errs.Add(syntax.Position{Filename: name}, "syntax", "%v", err)
		}
	}
	nsi := c.ns[ns]
	if nsi == nil {
		nsi = &nsInfo{name: ns, rules: map[string]*Rule{}}
		c.ns[ns] = nsi
	}
	scope := &fileScope{imports: imports}
	for _, d := range f.Items {
		switch d := d.(type) {
		case *syntax.Import:
			if _, ok := c.mods[d.Module]; !ok {
				c.errs.Add(c.fset.Position(d.Pos), "unknown-module", "unknown module %q: this build of medshield does not provide it, so rules importing it are rejected", d.Module)
				continue
			}
			imports[d.Module] = true
			c.useModule(d.Module)
		case *syntax.Include:
			c.include(name, ns, d, imports)
		case *syntax.Rule:
			c.compileRule(d, nsi, scope)
		}
	}
}

func (c *Compiler) include(from, ns string, d *syntax.Include, imports map[string]bool) {
	pos := c.fset.Position(d.Pos)
	if c.opts.DisableIncludes {
		c.errs.Add(pos, "include", "includes are disabled")
		return
	}
	path := d.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(from), path)
	}
	if c.including[path] {
		c.errs.Add(pos, "include", "include cycle through %q", d.Path)
		return
	}
	src, err := c.readFile(path)
	if err != nil {
		c.errs.Add(pos, "include", "can't open include file: %s", d.Path)
		return
	}
	c.includes[path] = src
	c.including[path] = true
	c.compileSource(path, ns, src, imports)
	delete(c.including, path)
}

func (c *Compiler) useModule(name string) int {
	if i, ok := c.rs.modIndex[name]; ok {
		return i
	}
	i := len(c.rs.modules)
	c.rs.modIndex[name] = i
	c.rs.modules = append(c.rs.modules, c.mods[name])
	return i
}

// Errors returns every error so far, sorted.
func (c *Compiler) Errors() syntax.ErrorList {
	l := append(syntax.ErrorList(nil), c.errs...)
	l.Sort()
	return l
}

// Warnings returns the warnings (for example slow patterns).
func (c *Compiler) Warnings() syntax.ErrorList { return c.warns }

// Rules finishes compilation and returns the rule set (with the rules that
// compiled); err lists the rejected rules, if any.
func (c *Compiler) Rules() (*Rules, error) {
	rs := c.rs
	rs.externals = make([]external, len(c.extList))
	for i, e := range c.extList {
		rs.externals[i] = *e
	}
	rs.sources = c.sources
	rs.includes = c.includes
	rs.build()
	c.rs = &Rules{fset: c.fset, modIndex: map[string]int{}}
	return rs, c.errs.Err()
}
