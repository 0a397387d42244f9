package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/medshield/medshield/internal/guard"
)

func cmdGuard() command {
	return command{name: "guard", summary: "run the ransomware shield in the foreground (standalone, no server)", run: runGuard}
}

const guardHelp = `Usage: medshield guard <subcommand> [flags]

Subcommands:
  run      medshield guard run --protect DIR[,DIR...] [--kill=true] [--backup DIR] [--format text|jsonl]
  restore  medshield guard restore --backup DIR --incident ID

Run 'medshield guard run --help' for details.
`

func runGuard(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "guard", args, map[string]func([]string) error{
		"run":     func(a []string) error { return runGuardRun(ctx, e, a) },
		"restore": func(a []string) error { return runGuardRestore(ctx, e, a) },
	}, guardHelp)
}

func runGuardRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "guard run", "guard run --protect DIR[,DIR...] [--kill=true] [--canaries=true] [--format text|jsonl]", `
Runs the ransomware shield in the foreground with the same code the agent
uses, for evaluation or for a single machine. It profiles the files in the
protected folders, places hidden decoy files (canaries) in each folder, and
watches every write, rename and delete with the acting process (Linux:
fanotify, needs root; elsewhere a notification fallback without process
attribution). A process that writes a decoy, or whose writes add up to the
threshold (entropy jumps, file-type changes, ransomware extensions, encrypted
copies replacing originals, ransom notes, deleted backups), is frozen and
killed with its process tree, and an alert is printed.

When the shield is watching it prints "ready" (jsonl: {"event":"ready"}).
Alerts in jsonl carry rule, pid, process_name, process_path, score,
signals, files_touched and action. Stop with Ctrl-C.`)
	var protect stringList
	fs.Var(&protect, "protect", "folder to protect (repeatable or comma-separated)")
	kill := fs.Bool("kill", true, "suspend and kill the offending process tree (false: alert only)")
	canaries := fs.Bool("canaries", true, "place hidden decoy files in the protected folders")
	threshold := fs.Float64("threshold", 100, "score at which a process is stopped")
	format := fs.String("format", "text", "output format: text or jsonl")
	backup := fs.String("backup", "", "keep a protected-folder backup in DIR (copy-on-first-write; restore with 'medshield guard restore')")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if len(protect) == 0 {
		fmt.Fprintln(e.stderr, "guard run: give at least one --protect folder")
		return errUsage
	}
	if *format != "text" && *format != "jsonl" {
		fmt.Fprintln(e.stderr, "guard run: --format must be text or jsonl")
		return errUsage
	}
	var mu sync.Mutex
	enc := json.NewEncoder(e.stdout)
	emit := func(v any, text string) {
		mu.Lock()
		defer mu.Unlock()
		if *format == "jsonl" {
			_ = enc.Encode(v)
		} else {
			fmt.Fprintln(e.stdout, text)
		}
	}
	err := guard.Run(ctx, guard.Options{
		Protect: protect, Kill: *kill, Canaries: *canaries, Threshold: *threshold, Logger: e.log, BackupDir: *backup,
		OnReady: func(i guard.ShieldInfo) {
			emit(map[string]any{"event": "ready", "source": i.Source, "attributed": i.Attributed, "files": i.Profiles, "canaries": i.Canaries},
				fmt.Sprintf("ready: watching %s with %s (%d files profiled, %d decoys)", strings.Join(protect, ", "), i.Source, i.Profiles, i.Canaries))
		},
		OnAlert: func(a guard.Alert) {
			kinds := make([]string, 0, len(a.Signals))
			for _, s := range a.Signals {
				kinds = append(kinds, s.Kind)
			}
			emit(struct {
				Event string `json:"event"`
				guard.Alert
			}{"alert", a}, fmt.Sprintf("%s ALERT %s pid=%d %s score=%.0f action=%s signals=%s files=%d",
				a.Time.Format(time.RFC3339), a.Rule, a.PID, a.Exe, a.Score, a.Action, strings.Join(kinds, ","), len(a.Files)))
		},
	})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func runGuardRestore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "guard restore", "guard restore --backup DIR --incident ID", "Restores the files damaged in an incident from the backup kept by 'guard run --backup DIR'.")
	dir := fs.String("backup", "", "backup directory given to 'guard run'")
	id := fs.String("incident", "", "incident id (the alert's id)")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *dir == "" || *id == "" {
		fmt.Fprintln(e.stderr, "guard restore: --backup and --incident are required")
		return errUsage
	}
	res, err := guard.RestoreIncident(*dir, *id)
	if err != nil {
		return err
	}
	for _, p := range res.Restored {
		fmt.Fprintf(e.stdout, "restored %s\n", p)
	}
	fmt.Fprintf(e.stdout, "%d restored, %d without backup, %d failed\n", len(res.Restored), len(res.Missing), len(res.Failed))
	if len(res.Failed) > 0 {
		return &exitCode{code: 1}
	}
	return nil
}
