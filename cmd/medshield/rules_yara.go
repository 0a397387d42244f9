package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"

	"github.com/medshield/medshield/internal/yara"
	"github.com/medshield/medshield/internal/yara/module/modules"
	"github.com/medshield/medshield/internal/yara/syntax"
	"github.com/medshield/medshield/rules"
)

// compileYara compiles rule files/directories (or, with no paths, the
// embedded starter rules). A path that is a compiled rule file (from
// `medshield rules compile`) is loaded instead; it must be the only path.
func compileYara(paths []string) (*yara.Rules, *yara.Compiler, error) {
	opts := yara.Options{Modules: modules.List()}
	if len(paths) == 1 && yara.IsCompiled(paths[0]) {
		f, err := os.Open(paths[0])
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		rs, err := yara.Load(f, opts)
		return rs, nil, err
	}
	c, err := yara.NewCompiler(opts)
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		err := fs.WalkDir(rules.Yara, "yara", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !yara.IsRuleFile(p) {
				return err
			}
			src, err := fs.ReadFile(rules.Yara, p)
			if err != nil {
				return err
			}
			c.AddSource("embedded:"+p, p, src)
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("embedded rules: %w", err)
		}
	} else if _, err := c.AddPaths(paths); err != nil {
		return nil, nil, err
	}
	rs, _ := c.Rules()
	// Compilation leaves a lot of garbage (syntax trees, atom candidates);
	// give it back now, since scanners and agents keep running for long.
	debug.FreeOSMemory()
	return rs, c, nil
}

// checkYaraRules compiles YARA rules and prints rejected ones; it returns the
// number of rejected rules.
func checkYaraRules(ctx context.Context, e *env, paths []string) (int, error) {
	rs, c, err := compileYara(paths)
	if err != nil {
		return 0, err
	}
	var errs syntax.ErrorList
	if c != nil { // nil for a compiled file: its rules were checked when it was written
		errs = c.Errors()
		for _, d := range errs {
			fmt.Fprintf(e.stdout, "%s: error[%s]: %s\n", d.Pos, d.Code, d.Msg)
		}
		for _, w := range c.Warnings() {
			fmt.Fprintf(e.stdout, "%s: warning[%s]: %s\n", w.Pos, w.Code, w.Msg)
		}
	}
	fmt.Fprintf(e.stdout, "yara: %d rules loaded, %d strings, %d atoms; %d errors\n",
		len(rs.Rules()), rs.NumStrings(), rs.NumAtoms(), len(errs))
	return len(errs), nil
}

func runRulesCompile(ctx context.Context, e *env, args []string) error {
	fset := newFlags(e, "rules compile", "rules compile --yara DIR|FILE... --out FILE", `
Compiles YARA rules into one binary file that 'medshield scan --rules FILE'
and the agent load without the original rule files and without compiling
them again (format in docs/scan.md). A directory's files each get their own
namespace (their path relative to the directory). Bad rules are reported
with file:line:column and left out; --strict refuses to write the file if
any rule is rejected. A compiled file is tied to the medshield engine
version that wrote it: after an upgrade that changes it, loading refuses the
file and asks for it to be compiled again.`)
	var paths stringList
	fset.Var(&paths, "yara", "YARA rule file or directory (repeatable)")
	out := fset.String("out", "", "output file")
	strict := fset.Bool("strict", false, "fail if any rule is rejected")
	if err := parseFlags(e, fset, args); err != nil {
		return err
	}
	paths = append(paths, fset.Args()...)
	if len(paths) == 0 || *out == "" {
		fmt.Fprintln(e.stderr, "rules compile: give --yara and --out")
		return errUsage
	}
	rs, c, err := compileYara(paths)
	if err != nil {
		return err
	}
	if c != nil {
		for _, d := range c.Errors() {
			fmt.Fprintf(e.stderr, "%s: error[%s]: %s\n", d.Pos, d.Code, d.Msg)
		}
		if *strict && len(c.Errors()) > 0 {
			return &exitCode{code: 1, err: fmt.Errorf("%d rule error(s) (--strict)", len(c.Errors()))}
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("rules compile: %w", err)
	}
	if err := rs.Save(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("rules compile: %w", err)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d rules\n", *out, len(rs.Rules()))
	return nil
}
