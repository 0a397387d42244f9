package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/medshield/medshield/internal/audit"
)

func cmdAudit() command {
	return command{name: "audit", summary: "verify and show the hash-chained audit log", run: runAudit}
}

const auditHelp = `Usage: medshield audit <subcommand> [flags]

Every admin action (tokens, users, agent revocation, commands, logins) is
appended to an audit log whose records are hash-chained: each record's
SHA-256 covers the previous record's hash, so changing or deleting a record
breaks the chain from there on.

Subcommands:
  verify   medshield audit verify [--data DIR]   check the chain; exit 1 and name the first broken record
  show     medshield audit show [--data DIR] [--after N] [--limit N]
`

func runAudit(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "audit", args, map[string]func([]string) error{
		"verify": func(a []string) error { return runAuditVerify(ctx, e, a) },
		"show":   func(a []string) error { return runAuditShow(ctx, e, a) },
	}, auditHelp)
}

func runAuditVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit verify", "audit verify [--data DIR]", "Walks the whole audit chain and reports the first broken record. Exit 0 when intact, 1 when broken.")
	db := storeFlags(fs)
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := audit.Verify(ctx, st)
	if err != nil {
		return err
	}
	if !res.OK {
		fmt.Fprintf(e.stdout, "audit chain BROKEN at record %d: %s (%d records checked)\n", res.BrokenAt, res.Reason, res.Records)
		return &exitCode{code: 1}
	}
	fmt.Fprintf(e.stdout, "audit chain intact: %d records, head %s\n", res.Records, res.LastHash)
	return nil
}

func runAuditShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit show", "audit show [--data DIR] [--after N] [--limit N]", "Prints audit records in order.")
	db := storeFlags(fs)
	after := fs.Int64("after", 0, "show records after this sequence number")
	limit := fs.Int("limit", 100, "maximum records")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	recs, err := st.ListAudit(ctx, *after, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tTARGET\tDETAIL")
	for _, r := range recs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.At.Local().Format(time.RFC3339), r.Actor, r.Action, r.Target, r.Detail)
	}
	return tw.Flush()
}
