package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestMain lets tests run the real medshield command as a child process (the
// test binary re-executes itself with MEDSHIELD_TEST_MAIN=1), so crash tests
// can SIGKILL a real server or agent.
func TestMain(m *testing.M) {
	if os.Getenv("MEDSHIELD_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runCLI runs a medshield command in-process and returns its exit code and
// output.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		code, out, errOut := runCLI(t, "", c.name, "--help")
		if code != 0 {
			t.Errorf("%s --help: exit %d: %s", c.name, code, errOut)
			continue
		}
		if !strings.Contains(out, "Usage: medshield "+c.name) {
			t.Errorf("%s --help does not start with a usage line:\n%s", c.name, out)
		}
		if len(out) < 80 {
			t.Errorf("%s --help is too thin:\n%s", c.name, out)
		}
	}
	if code, _, _ := runCLI(t, "", "no-such-command"); code != 2 {
		t.Errorf("unknown command exit %d, want 2", code)
	}
}

func TestTokenUserAuditCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MEDSHIELD_PASSWORD", "Analyst-Pass-2026")
	if code, _, e := runCLI(t, "", "user", "add", "--data", dir, "--name", "ana", "--role", "analyst"); code != 0 {
		t.Fatalf("user add: %d %s", code, e)
	}
	code, tok, e := runCLI(t, "", "token", "create", "--data", dir, "--hospital", "H1", "--department", "ICU", "--uses", "3")
	if code != 0 || !strings.HasPrefix(tok, "mset_") {
		t.Fatalf("token create: %d %q %s", code, tok, e)
	}
	code, list, _ := runCLI(t, "", "token", "list", "--data", dir)
	if code != 0 || !strings.Contains(list, "H1") || strings.Contains(list, strings.TrimSpace(tok)) {
		t.Fatalf("token list shows %q", list)
	}
	code, out, _ := runCLI(t, "", "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "intact: 2 records") {
		t.Fatalf("audit verify: %d %q", code, out)
	}
	if code, _, _ := runCLI(t, "", "token", "create", "--data", dir); code == 0 {
		t.Fatal("token create without --hospital succeeded")
	}
}
