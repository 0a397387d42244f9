package main

import (
	"context"
	"fmt"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/medshield/medshield/internal/pki"
	"github.com/medshield/medshield/internal/server"
)

func cmdToken() command {
	return command{name: "token", summary: "create, list and revoke agent enrolment tokens", run: runToken}
}

const tokenHelp = `Usage: medshield token <subcommand> [flags]

Enrolment tokens let an agent join the server once (or a limited number of
times) within a validity period, scoped to a hospital and department. Only a
hash of each token is stored; the token itself is printed once.

These commands work on the server's data directory directly (run them on the
server host, as the user that owns it); every action is audited.

Subcommands:
  create   medshield token create --hospital NAME [--department NAME] [--ttl 24h] [--uses 1]
  list     medshield token list
  revoke   medshield token revoke ID
`

func runToken(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "token", args, map[string]func([]string) error{
		"create": func(a []string) error { return runTokenCreate(ctx, e, a) },
		"list":   func(a []string) error { return runTokenList(ctx, e, a) },
		"revoke": func(a []string) error { return runTokenRevoke(ctx, e, a) },
	}, tokenHelp)
}

// cliActor names the operator for the audit log.
func cliActor() server.Actor {
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = "cli:" + u.Username
	}
	return server.Actor{Name: name, Remote: "local"}
}

func runTokenCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "token create", "token create --hospital NAME [--department NAME] [--ttl 24h] [--uses 1] [--data DIR]",
		"Creates an enrolment token and prints it once, with the enrol command for an agent.")
	db := storeFlags(fs)
	hospital := fs.String("hospital", "", "hospital the enrolled agents belong to (required)")
	dept := fs.String("department", "", "department the enrolled agents belong to")
	ttl := fs.Duration("ttl", 24*time.Hour, "validity period (1m to 720h)")
	uses := fs.Int("uses", 1, "how many agents may enrol with it")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, tok, err := server.NewAdmin(st).CreateToken(ctx, cliActor(), server.TokenRequest{Hospital: *hospital, Department: *dept, TTL: *ttl, Uses: *uses})
	if err != nil {
		return err
	}
	fp := "<ca-fingerprint>"
	if ca, _, err := pki.ReadCert(*db.data + "/pki/ca.crt"); err == nil {
		fp = pki.Fingerprint(ca.Raw)
	}
	fmt.Fprintf(e.stdout, "%s\n", secret)
	fmt.Fprintf(e.stderr, "token %s for %s/%s, %d use(s), expires %s\n", tok.ID, tok.Organization, tok.Unit, tok.MaxUses, tok.ExpiresAt.Local().Format(time.RFC3339))
	fmt.Fprintf(e.stderr, "enrol an agent with:\n  medshield agent enroll --server https://SERVER:8443 --token %s --ca-fingerprint %s\n", secret, fp)
	return nil
}

func runTokenList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "token list", "token list [--data DIR]", "Lists enrolment tokens (never the secrets).")
	db := storeFlags(fs)
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	toks, err := st.ListTokens(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHOSPITAL\tDEPARTMENT\tUSES\tEXPIRES\tSTATE")
	now := time.Now()
	for _, t := range toks {
		state := "active"
		switch {
		case !t.RevokedAt.IsZero():
			state = "revoked"
		case now.After(t.ExpiresAt):
			state = "expired"
		case t.Uses >= t.MaxUses:
			state = "used up"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s\n", t.ID, t.Organization, t.Unit, t.Uses, t.MaxUses, t.ExpiresAt.Local().Format(time.RFC3339), state)
	}
	return tw.Flush()
}

func runTokenRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "token revoke", "token revoke [--data DIR] ID", "Revokes an enrolment token; agents already enrolled are not affected.")
	db := storeFlags(fs)
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "token revoke: give exactly one token ID")
		return errUsage
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := server.NewAdmin(st).RevokeToken(ctx, cliActor(), fs.Arg(0)); err != nil {
		return fmt.Errorf("revoke %s: %w", fs.Arg(0), err)
	}
	fmt.Fprintf(e.stdout, "revoked token %s\n", fs.Arg(0))
	return nil
}
