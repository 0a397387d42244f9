package main

import (
	"context"
	"fmt"
)

func cmdRules() command {
	return command{name: "rules", summary: "check or compile YARA and Sigma rules", run: runRules}
}

const rulesHelp = `Usage: medshield rules <subcommand> [flags]

Subcommands:
  check    compile rule files and report each bad rule with file:line:column and the reason
           medshield rules check [--yara DIR|FILE]... [--sigma DIR|FILE]... [--strict]
  compile  compile YARA rules into a file that the agent loads quickly
           medshield rules compile --yara DIR|FILE... --out FILE

Run 'medshield rules <subcommand> --help' for details.
`

func runRules(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "rules", args, map[string]func([]string) error{
		"check":   func(a []string) error { return runRulesCheck(ctx, e, a) },
		"compile": func(a []string) error { return runRulesCompile(ctx, e, a) },
	}, rulesHelp)
}

func runRulesCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "rules check", "rules check [--yara DIR|FILE]... [--sigma DIR|FILE]... [--mapping FILE] [--strict]", `
Compiles every rule file and prints each rule that cannot be used, with
file:line:column and the reason. One bad rule never stops the others; the
summary says how many rules loaded and how many were rejected.
Exit status: 0 when all rules compile (or when not --strict), 1 when --strict
and any rule was rejected, 2 on usage errors.`)
	var yaraPaths, sigmaPaths stringList
	fs.Var(&yaraPaths, "yara", "YARA rule file or directory (repeatable)")
	fs.Var(&sigmaPaths, "sigma", "Sigma rule file or directory (repeatable)")
	mapping := fs.String("mapping", "", "Sigma logsource mapping file (default: embedded)")
	strict := fs.Bool("strict", false, "exit 1 if any rule is rejected")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if len(yaraPaths) == 0 && len(sigmaPaths) == 0 {
		fmt.Fprintln(e.stderr, "rules check: give at least one --yara or --sigma path")
		return errUsage
	}
	rejected := 0
	if len(yaraPaths) > 0 {
		n, err := checkYaraRules(ctx, e, yaraPaths)
		if err != nil {
			return err
		}
		rejected += n
	}
	if len(sigmaPaths) > 0 {
		n, err := checkSigmaRules(ctx, e, sigmaPaths, *mapping)
		if err != nil {
			return err
		}
		rejected += n
	}
	if *strict && rejected > 0 {
		return &exitCode{code: 1, err: fmt.Errorf("%d rule(s) rejected (--strict)", rejected)}
	}
	return nil
}
