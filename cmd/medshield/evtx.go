package main

import (
	"context"
	"fmt"

	"github.com/medshield/medshield/internal/evtx"
)

const evtxHelp = `Usage: medshield evtx SUBCOMMAND [flags]

Reads Windows event log files (.evtx) without Windows.

Subcommands:
  dump    print the records of one or more .evtx files as XML or JSON lines
`

func cmdEvtx() command {
	return command{name: "evtx", summary: "read Windows .evtx files (dump as XML or JSON lines)", run: func(ctx context.Context, e *env, args []string) error {
		return subcommand(e, "evtx", args, map[string]func([]string) error{
			"dump": func(args []string) error { return evtxDump(ctx, e, args) },
		}, evtxHelp)
	}}
}

func evtxDump(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "evtx dump", "evtx dump [--format xml|jsonl] FILE...", `
Prints every record of each FILE in file order.

--format xml   prints each record as Windows renders it (<Event> elements).
--format jsonl prints one record per line in the flattened "Sigma view":
               {"System":{...},"EventData":{...}} (or "UserData"), with System
               fields joined by "_" (Provider_Name, TimeCreated_SystemTime,
               Execution_ProcessID, Security_UserID) and unnamed <Data> values
               as the list "Data". See docs/evtx.md for how values are rendered.

Damaged chunks and records are reported on stderr ("skipped: ...") and
skipped; checksum mismatches are reported as warnings and the data is used.
The exit status is 1 when a record or chunk was skipped or a file could not
be read.`)
	format := fs.String("format", "xml", "output format: xml or jsonl")
	quiet := fs.Bool("quiet", false, "do not print skipped chunks and records, only count them")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "medshield evtx dump: no FILE given")
		return errUsage
	}
	if *format != evtx.FormatXML && *format != evtx.FormatJSONL {
		fmt.Fprintf(e.stderr, "medshield evtx dump: --format must be xml or jsonl, not %q\n", *format)
		return errUsage
	}
	failed := 0
	for _, path := range fs.Args() {
		st, err := evtx.Dump(ctx, e.stdout, path, *format, func(err error) {
			if *quiet {
				return
			}
			if evtx.IsWarning(err) {
				fmt.Fprintf(e.stderr, "warning: %v\n", err)
			} else {
				fmt.Fprintf(e.stderr, "skipped: %v\n", err)
			}
		})
		if err != nil {
			fmt.Fprintf(e.stderr, "medshield evtx dump: %v\n", err)
			failed++
			continue
		}
		if st.Errors > 0 {
			failed++
		}
		e.log.Debug("evtx dump", "file", path, "records", st.Records, "skipped", st.Errors, "warnings", st.Warnings)
	}
	if failed > 0 {
		return &exitCode{code: 1}
	}
	return nil
}
