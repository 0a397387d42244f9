package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/quarantine"
)

func cmdQuarantine() command {
	return command{name: "quarantine", summary: "list, restore or delete quarantined files", run: runQuarantine}
}

func defaultQuarantineDir() string { return filepath.Join(agent.DefaultStateDir(), "quarantine") }

var quarantineHelp = `Usage: medshield quarantine <subcommand> [flags]

Quarantined files are kept encrypted (AES-256-GCM) in a store directory, so
they cannot run and scanners do not detect them again; each has a record with
its original path, sha256, size, mode, owner, the detection and the time.
The default store is the agent's: ` + defaultQuarantineDir() + `

Subcommands:
  list     medshield quarantine list [--dir DIR] [--format text|jsonl]
  restore  medshield quarantine restore [--dir DIR] [--to PATH] [--overwrite] ID
  delete   medshield quarantine delete [--dir DIR] ID...

Run 'medshield quarantine SUBCOMMAND --help' for its flags.
`

func runQuarantine(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "quarantine", args, map[string]func([]string) error{
		"list":    func(a []string) error { return runQuarantineList(e, a) },
		"restore": func(a []string) error { return runQuarantineRestore(e, a) },
		"delete":  func(a []string) error { return runQuarantineDelete(e, a) },
	}, quarantineHelp)
}

// openQuarantine opens an existing store; the commands never create one
// (a typo in --dir must not leave a new store and key behind).
func openQuarantine(dir string) (*quarantine.Store, error) {
	st, err := os.Stat(filepath.Join(dir, "key"))
	if err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("no quarantine store at %s", dir)
	}
	return quarantine.Open(dir)
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("restore ID --to X" as well as "restore --to X ID").
func parseInterspersed(e *env, fs *flag.FlagSet, args []string) ([]string, error) {
	if err := parseFlags(e, fs, args); err != nil {
		return nil, err
	}
	var pos []string
	for rest := fs.Args(); len(rest) > 0; rest = fs.Args() {
		pos = append(pos, rest[0])
		if err := fs.Parse(rest[1:]); err != nil {
			return nil, errUsage
		}
	}
	return pos, nil
}

func runQuarantineList(e *env, args []string) error {
	fs := newFlags(e, "quarantine list", "quarantine list [--dir DIR] [--format text|jsonl]",
		"Lists the quarantined files, oldest first: id, time, size, detection and original path.\nWith --format jsonl each record is printed whole as one JSON line.")
	dir := fs.String("dir", defaultQuarantineDir(), "quarantine store directory")
	format := fs.String("format", "text", "output format: text or jsonl")
	pos, err := parseInterspersed(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || (*format != "text" && *format != "jsonl") {
		fmt.Fprintln(e.stderr, "quarantine list: takes no arguments; --format is text or jsonl")
		return errUsage
	}
	if _, err := os.Stat(*dir); errors.Is(err, iofs.ErrNotExist) {
		fmt.Fprintf(e.stderr, "no quarantine store at %s: nothing quarantined\n", *dir)
		return nil
	}
	s, err := openQuarantine(*dir)
	if err != nil {
		return err
	}
	recs, lerr := s.List()
	if *format == "jsonl" {
		enc := json.NewEncoder(e.stdout)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTIME\tSIZE\tDETECTION\tPATH")
		for _, r := range recs {
			det := r.Reason.Rule
			if det == "" {
				det = r.Reason.Source
			}
			if det == "" {
				det = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.ID, r.Time.Local().Format(time.DateTime), r.Size, det, r.OriginalPath)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if lerr != nil {
		return fmt.Errorf("some records could not be read: %w", lerr)
	}
	return nil
}

func runQuarantineRestore(e *env, args []string) error {
	fs := newFlags(e, "quarantine restore", "quarantine restore [--dir DIR] [--to PATH] [--overwrite] ID",
		`Decrypts a quarantined file back to its original path (or --to PATH; an
existing directory means "into it, under the original name"), with its mode
and, when run as root, its owner; then removes it from the store. The content
is checked against the recorded sha256 first: a damaged or tampered copy is
never restored. An existing file is not overwritten unless --overwrite.`)
	dir := fs.String("dir", defaultQuarantineDir(), "quarantine store directory")
	to := fs.String("to", "", "restore to this path or directory instead of the original path")
	overwrite := fs.Bool("overwrite", false, "replace an existing file at the target")
	pos, err := parseInterspersed(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "quarantine restore: give exactly one ID (see 'medshield quarantine list')")
		return errUsage
	}
	s, err := openQuarantine(*dir)
	if err != nil {
		return err
	}
	path, err := s.RestoreWith(pos[0], quarantine.RestoreOptions{To: *to, Overwrite: *overwrite})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored %s to %s\n", pos[0], path)
	return nil
}

func runQuarantineDelete(e *env, args []string) error {
	fs := newFlags(e, "quarantine delete", "quarantine delete [--dir DIR] ID...",
		"Deletes quarantined files for good (their encrypted copy and record).")
	dir := fs.String("dir", defaultQuarantineDir(), "quarantine store directory")
	pos, err := parseInterspersed(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fmt.Fprintln(e.stderr, "quarantine delete: give at least one ID")
		return errUsage
	}
	s, err := openQuarantine(*dir)
	if err != nil {
		return err
	}
	failed := 0
	for _, id := range pos {
		if err := s.Delete(id); err != nil {
			fmt.Fprintf(e.stderr, "%v\n", err)
			failed++
			continue
		}
		fmt.Fprintf(e.stdout, "deleted %s\n", id)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d not deleted", failed, len(pos))
	}
	return nil
}
