package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/ioc"
	"github.com/medshield/medshield/internal/quarantine"
	"github.com/medshield/medshield/internal/yara"
)

func cmdScan() command {
	return command{name: "scan", summary: "scan files or a process for malware (YARA rules, hash indicators)", run: runScan}
}

const scanDescription = `
Scans files (directories recursively) with YARA rules and, with --hashes,
md5/sha1/sha256 indicator lists (plain lists, abuse.ch CSV, STIX 2.1, MISP),
in one pass. Without --rules the embedded medshield starter rules are used.
A --rules directory compiles each rule file in its own namespace (its path
relative to the directory), like yarac namespace:file. --rules may also name
a file written by 'medshield rules compile'.

Output: 'RULE PATH' per detection (like the yara command), 'hash:KIND:THREAT
PATH' for indicator hits, or JSON lines with --format jsonl (rule, namespace,
tags, meta, file, sha256 and matched strings). Errors and a summary go to
stderr; a progress line is shown when stderr is a terminal.

Exit status: 0 nothing detected, 1 detections (even if some files failed),
2 errors and no detection, or a usage error.`

func runScan(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "scan", "scan [--rules FILE|DIR]... [--hashes FILE]... [--threads N] [--format text|jsonl] [--quarantine DIR] [--pid N] PATH...", scanDescription)
	var rulePaths, hashFiles, excludes stringList
	fs.Var(&rulePaths, "rules", "YARA rule file, directory or compiled rule file (repeatable; default: embedded starter rules)")
	fs.Var(&hashFiles, "hashes", "hash indicator file (repeatable)")
	fs.Var(&excludes, "exclude", "skip paths whose base name or full path matches this glob (repeatable)")
	threads := fs.Int("threads", 0, "scanning threads (default: number of CPUs)")
	format := fs.String("format", "text", "output format: text or jsonl")
	quarantineDir := fs.String("quarantine", "", "move detected files into this quarantine folder (encrypted; see 'medshield quarantine')")
	pid := fs.Int("pid", 0, "scan the memory of this process (Linux) instead of files")
	recursive := fs.Bool("recursive", true, "descend into directories")
	follow := fs.Bool("follow-symlinks", false, "follow symbolic links below the given paths")
	maxSize := fs.Int64("max-size", 512<<20, "skip files larger than this many bytes (0: no limit)")
	timeout := fs.Duration("timeout", time.Minute, "time limit per file")
	noProgress := fs.Bool("no-progress", false, "never show the progress line")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "jsonl" {
		fmt.Fprintf(e.stderr, "scan: unknown format %q (text or jsonl)\n", *format)
		return errUsage
	}
	if fs.NArg() == 0 && *pid == 0 {
		fmt.Fprintln(e.stderr, "scan: give at least one PATH or --pid")
		return errUsage
	}
	rs, c, err := compileYara(rulePaths)
	if err != nil {
		return &exitCode{code: 2, err: err}
	}
	if c != nil {
		for _, d := range c.Errors() {
			fmt.Fprintf(e.stderr, "rule skipped: %s: %s\n", d.Pos, d.Msg)
		}
	}
	var check func(d *yara.Digests) []yara.HashHit
	if len(hashFiles) > 0 {
		set := ioc.NewSet()
		for _, h := range hashFiles {
			if _, err := set.LoadFile(h); err != nil {
				var el *ioc.ErrorList
				if !errors.As(err, &el) {
					return &exitCode{code: 2, err: err}
				}
				fmt.Fprintf(e.stderr, "%v\n", err)
			}
		}
		check = hashChecker(set)
	}
	if *pid != 0 {
		return scanPID(ctx, e, rs, *pid, *format)
	}
	job := &yara.Job{
		Rules: rs, Threads: *threads, MaxSize: *maxSize, Timeout: *timeout, Format: *format,
		Out: e.stdout, Errs: e.stderr, HashCheck: check,
		Walk: yara.WalkOptions{Recursive: *recursive, FollowSymlinks: *follow, Exclude: excludes},
	}
	if *quarantineDir != "" {
		store, err := quarantine.Open(*quarantineDir)
		if err != nil {
			return &exitCode{code: 2, err: err}
		}
		if abs, err := filepath.Abs(*quarantineDir); err == nil {
			job.Walk.Exclude = append(job.Walk.Exclude, abs)
		}
		job.OnDetection = func(path string, what []string) error {
			rec, err := store.Quarantine(path, quarantine.Reason{Rule: strings.Join(what, ", "), Source: "scan"})
			if err != nil {
				return fmt.Errorf("quarantine: %w", err)
			}
			fmt.Fprintf(e.stderr, "quarantined %s as %s\n", path, rec.ID)
			return nil
		}
	}
	if !*noProgress && isTerminal(e.stderr) {
		job.Progress = e.stderr
	}
	sum := job.Run(ctx, fs.Args())
	sum.WriteSummary(e.stderr)
	switch {
	case sum.Detections > 0:
		return &exitCode{code: 1}
	case sum.Errors > 0:
		return &exitCode{code: 2}
	}
	return nil
}

func hashChecker(set *ioc.Set) func(d *yara.Digests) []yara.HashHit {
	return func(d *yara.Digests) []yara.HashHit {
		var hits []yara.HashHit
		add := func(kind string, m ioc.Match, ok bool) {
			if ok {
				hits = append(hits, yara.HashHit{Kind: kind, Indicator: m.Indicator, Threat: m.Threat, Source: m.Source})
			}
		}
		m, ok := set.LookupSHA256(d.SHA256)
		add("sha256", m, ok)
		m, ok = set.LookupSHA1(d.SHA1)
		add("sha1", m, ok)
		m, ok = set.LookupMD5(d.MD5)
		add("md5", m, ok)
		return hits
	}
}

func scanPID(ctx context.Context, e *env, rs *yara.Rules, pid int, format string) error {
	res, err := rs.ScanProcess(ctx, pid, &yara.ScanOptions{})
	if err != nil && len(res) == 0 {
		return &exitCode{code: 2, err: err}
	}
	for _, m := range res {
		if format == "jsonl" {
			b, _ := json.Marshal(map[string]any{"pid": pid, "rule": m.Rule.Name, "namespace": m.Rule.Namespace, "tags": m.Rule.Tags})
			fmt.Fprintf(e.stdout, "%s\n", b)
		} else {
			fmt.Fprintf(e.stdout, "%s %d\n", m.Rule.Name, pid)
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
	}
	if len(res) > 0 {
		return &exitCode{code: 1}
	}
	return nil
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
