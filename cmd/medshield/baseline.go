package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/internal/vuln/sca"
	"github.com/medshield/medshield/rules"
)

func cmdBaseline() command {
	return command{name: "baseline", summary: "check security baselines (SCA policies mapped to 等保2.0)", run: runBaseline}
}

const baselineHelp = `Usage: medshield baseline <subcommand> [flags]

Subcommands:
  check   evaluate baseline policies on this host or a mounted root
  list    list the policies and their checks

Run 'medshield baseline <subcommand> --help' for its flags. Documentation: docs/baseline.md
`

func runBaseline(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "baseline", args, map[string]func([]string) error{
		"check": func(a []string) error { return runBaselineCheck(ctx, e, a) },
		"list":  func(a []string) error { return runBaselineList(e, a) },
	}, baselineHelp)
}

const baselineCheckDescription = `
Evaluates Wazuh-SCA-style policies (medshield's own under rules/baseline,
embedded, unless --policy is given) and prints each check as passed, failed
or not applicable, with the reason, the remediation and the 等保2.0 controls
it evidences. A policy whose requirements do not hold on the host (another
OS) is reported not applicable as a whole.

Files are read under --root (default /), so a mounted disk image or a
recorded tree can be audited. Command rules (c:) run only with
--allow-commands, and never together with --root: they would run on this
host, not on the root. Registry rules read the live registry on Windows, or
a recorded export given with --registry.

--by-control dengbao_l3 prints the evidence per 等保2.0 control instead
(符合/不符合/未检查 with the checks behind each), the basis of an evidence sheet.

Exit status: 0 no check failed, 1 some check failed, 2 errors.`

func runBaselineCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "baseline check", "baseline check [--policy FILE|DIR]... [--root DIR] [--registry FILE.reg] [--allow-commands] [--format text|jsonl] [--by-control dengbao_l3|cis]", baselineCheckDescription)
	var policies stringList
	fs.Var(&policies, "policy", "policy file or directory (repeatable; default: the embedded medshield baselines)")
	root := fs.String("root", "", "filesystem root to evaluate (default /)")
	regFile := fs.String("registry", "", "recorded registry export (.reg) to evaluate r: rules against")
	allow := fs.Bool("allow-commands", false, "run the policies' c: commands on this host (trusted policies only)")
	format := fs.String("format", "text", "output format: text or jsonl")
	verbose := fs.Bool("verbose", false, "also explain not-applicable checks")
	report := fs.String("by-control", "", "group results by the controls of a framework instead: dengbao_l3 (等保2.0) or cis")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "jsonl" {
		fmt.Fprintf(e.stderr, "baseline check: unknown format %q (text or jsonl)\n", *format)
		return errUsage
	}
	if *allow && *root != "" && *root != "/" {
		fmt.Fprintln(e.stderr, "baseline check: --allow-commands cannot be used with --root (commands would run on this host)")
		return errUsage
	}
	ps, diags, err := loadPolicies(policies)
	if err != nil {
		return &exitCode{code: 2, err: err}
	}
	for _, d := range diags {
		fmt.Fprintf(e.stderr, "policy problem: %s\n", d.Error())
	}
	env := sca.Env{Root: *root}
	if *allow {
		env.Commands = sca.ShellRunner{}
	}
	if *regFile != "" {
		f, err := os.Open(*regFile)
		if err != nil {
			return &exitCode{code: 2, err: err}
		}
		reg, err := inventory.ParseRegFile(f)
		f.Close()
		if err != nil {
			return &exitCode{code: 2, err: fmt.Errorf("%s: %w", *regFile, err)}
		}
		env.Registry = reg
	} else if *root == "" {
		env.Registry = inventory.LiveRegistry() // nil off Windows
	}
	var results []sca.PolicyResult
	failed := false
	for _, p := range ps {
		r := sca.Evaluate(ctx, p, env)
		failed = failed || r.Failed > 0
		results = append(results, r)
	}
	switch {
	case *report != "" && *format == "jsonl":
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, c := range sca.ByControl(results, *report) {
			if err = enc.Encode(c); err != nil {
				break
			}
		}
	case *report != "":
		err = sca.WriteControlReport(e.stdout, sca.ByControl(results, *report))
	case *format == "jsonl":
		err = sca.WriteJSONL(e.stdout, results)
	default:
		err = sca.WriteText(e.stdout, results, *verbose)
	}
	if err != nil {
		return &exitCode{code: 2, err: err}
	}
	if failed {
		return &exitCode{code: 1}
	}
	return nil
}

func loadPolicies(paths []string) ([]*sca.Policy, []sca.Diagnostic, error) {
	if len(paths) == 0 {
		return sca.LoadFS(rules.Baseline)
	}
	var ps []*sca.Policy
	var diags []sca.Diagnostic
	for _, p := range paths {
		got, ds, err := sca.Load(p)
		if err != nil {
			return nil, nil, err
		}
		ps = append(ps, got...)
		diags = append(diags, ds...)
	}
	if len(ps) == 0 {
		return nil, diags, fmt.Errorf("no policy loaded from %v", paths)
	}
	return ps, diags, nil
}

func runBaselineList(e *env, args []string) error {
	fs := newFlags(e, "baseline list", "baseline list [--policy FILE|DIR]...", `
Lists the policies (default: the embedded medshield baselines) and their
checks with the 等保2.0 and CIS controls each one evidences.`)
	var policies stringList
	fs.Var(&policies, "policy", "policy file or directory (repeatable)")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	ps, diags, err := loadPolicies(policies)
	if err != nil {
		return &exitCode{code: 2, err: err}
	}
	for _, d := range diags {
		fmt.Fprintf(e.stderr, "policy problem: %s\n", d.Error())
	}
	for _, p := range ps {
		fmt.Fprintf(e.stdout, "%s — %s (%d checks)\n", p.ID, p.Name, len(p.Checks))
		for _, c := range p.Checks {
			fmt.Fprintf(e.stdout, "  %d %s\n", c.ID, c.Title)
			for _, k := range []string{"dengbao_l3", "cis"} {
				for _, id := range c.Compliance[k] {
					fmt.Fprintf(e.stdout, "      %s: %s\n", k, id)
				}
			}
		}
	}
	return nil
}
