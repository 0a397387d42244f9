package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/medshield/medshield/internal/server"
)

func cmdUser() command {
	return command{name: "user", summary: "manage console users and API keys", run: runUser}
}

const userHelp = `Usage: medshield user <subcommand> [flags]

Console users have a role: admin (everything), analyst (hosts, events,
alerts, commands), auditor (read, including the audit log) or viewer (read,
limited to one hospital). Passwords are stored as argon2id hashes and must
have at least 12 characters mixing three character classes.

Subcommands:
  add       medshield user add --name NAME --role ROLE [--hospital NAME]   (password read from stdin or MEDSHIELD_PASSWORD)
  list      medshield user list
  passwd    medshield user passwd NAME                                        (new password from stdin or MEDSHIELD_PASSWORD)
  apikey    medshield user apikey --name NAME --key-name LABEL                (prints a bearer key once)
`

func runUser(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "user", args, map[string]func([]string) error{
		"add":    func(a []string) error { return runUserAdd(ctx, e, a) },
		"list":   func(a []string) error { return runUserList(ctx, e, a) },
		"passwd": func(a []string) error { return runUserPasswd(ctx, e, a) },
		"apikey": func(a []string) error { return runUserAPIKey(ctx, e, a) },
	}, userHelp)
}

// readPassword takes a password from MEDSHIELD_PASSWORD or the first line of
// stdin, so that it never appears in the process list or shell history.
func readPassword(e *env) (string, error) {
	if pw := os.Getenv("MEDSHIELD_PASSWORD"); pw != "" {
		return pw, nil
	}
	fmt.Fprint(e.stderr, "password: ")
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func runUserAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user add", "user add --name NAME --role admin|analyst|auditor|viewer [--hospital NAME]", "Creates a console user; the password is read from stdin or MEDSHIELD_PASSWORD.")
	db := storeFlags(fs)
	name := fs.String("name", "", "user name")
	role := fs.String("role", "analyst", "admin, analyst, auditor or viewer")
	hospital := fs.String("hospital", "", "hospital a viewer is limited to")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	pw, err := readPassword(e)
	if err != nil {
		return err
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := server.NewAdmin(st).CreateUser(ctx, cliActor(), server.UserRequest{Name: *name, Password: pw, Role: *role, Hospital: *hospital})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created user %s (%s)\n", u.Name, u.Role)
	return nil
}

func runUserList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user list", "user list", "Lists console users.")
	db := storeFlags(fs)
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tHOSPITAL\tCREATED\tLOCKED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", u.Name, u.Role, u.Organization, u.CreatedAt.Local().Format(time.RFC3339), time.Now().Before(u.LockedUntil))
	}
	return tw.Flush()
}

func runUserPasswd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user passwd", "user passwd NAME", "Sets a user's password (from stdin or MEDSHIELD_PASSWORD) and clears a lockout.")
	db := storeFlags(fs)
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "user passwd: give exactly one user name")
		return errUsage
	}
	pw, err := readPassword(e)
	if err != nil {
		return err
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := server.NewAdmin(st).SetPassword(ctx, cliActor(), fs.Arg(0), pw); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "password changed for %s\n", fs.Arg(0))
	return nil
}

func runUserAPIKey(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user apikey", "user apikey --name USER --key-name LABEL", "Creates a bearer API key that acts as USER (send it as 'Authorization: Bearer KEY'); printed once.")
	db := storeFlags(fs)
	name := fs.String("name", "", "user the key acts as")
	label := fs.String("key-name", "automation", "label for the key")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, k, err := server.NewAdmin(st).CreateAPIKey(ctx, cliActor(), *name, *label)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, secret)
	fmt.Fprintf(e.stderr, "API key %s for %s created; it is shown only once\n", k.ID, *name)
	return nil
}
