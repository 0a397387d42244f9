package sca

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/vuln/inventory"
)

// fakeRoot writes files under a temporary root.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

type fakeCommands map[string]string

func (f fakeCommands) Run(_ context.Context, cmd string) (string, error) {
	out, ok := f[cmd]
	if !ok {
		return "", os.ErrNotExist
	}
	return out, nil
}

func loadCorpusPolicy(t *testing.T, name string) *Policy {
	t.Helper()
	p, diags, err := ParseFile(filepath.Join(corpus.Dir(t, "vuln/sca"), name))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		t.Errorf("diagnostic: %v", d)
	}
	return p
}

func statusOf(t *testing.T, r PolicyResult, id int) CheckResult {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("check %d not evaluated", id)
	return CheckResult{}
}

var debianRoot = map[string]string{
	"etc/debian_version":          "12.5\n",
	"proc/sys/kernel/ostype":      "Linux\n",
	"etc/os-release":              "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n",
	"etc/security/pwquality.conf": "# local policy\nminlen = 14\ndifok = 1\n",
	"etc/security/faillock.conf":  "deny = 3\nunlock_time = 600\n",
	"etc/sudoers":                 "Defaults\tuse_pty\n%sudo\tALL=(ALL:ALL) ALL\n",
	"etc/sudoers.d/README":        "# files in this directory are included\n",
	"etc/sudoers.d/ops":           "ops ALL=(ALL) NOPASSWD: ALL\n",
	"etc/issue":                   "Debian GNU/Linux 12 \\n \\l\n",
	"etc/issue.net":               "Authorized use only.\n",
	"boot/grub/grub.cfg":          "set superusers=\"root\"\n\tlinux /vmlinuz-6.1 root=/dev/sda1 ro apparmor=1 security=apparmor\n",
}

// TestCISDebianFakeRoot evaluates the CIS Debian 12 policy (Wazuh, GPL
// test input) against a fake root; expectations follow from reading each
// check's rules against the files written above.
func TestCISDebianFakeRoot(t *testing.T) {
	p := loadCorpusPolicy(t, "cis_debian12.yml")
	if len(p.Checks) != 207 {
		t.Errorf("%d checks, SOURCES.md says 207", len(p.Checks))
	}
	root := fakeRoot(t, debianRoot)
	res := Evaluate(context.Background(), p, Env{Root: root, Processes: func() ([]string, error) { return nil, nil }})
	if !res.Applicable {
		t.Fatalf("requirements not met: %s", res.Reason)
	}
	tests := []struct {
		id   int
		want Status
		why  string
	}{
		{33194, Passed, "minlen = 14"},                 // n: compare >= 14
		{33193, Failed, "no line matches"},             // difok = 1 < 2, no pwquality.conf.d
		{33190, Passed, "deny = 3"},                    // faillock deny <= 5
		{33177, Passed, "use_pty"},                     // sudoers Defaults use_pty
		{33179, Failed, "matched in"},                  // NOPASSWD in /etc/sudoers.d/ops
		{33049, Failed, "Debian"},                      // /etc/issue names the OS
		{33050, Passed, "no line matches"},             // issue.net is neutral
		{33048, Passed, "not found"},                   // no /etc/motd
		{33040, Passed, "no line matches"},             // apparmor on the kernel line
		{33043, Failed, "password_pbkdf2"},             // superusers set, no password
		{33010, NotApplicable, "commands are not run"}, // c:findmnt without a runner
	}
	for _, tt := range tests {
		c := statusOf(t, res, tt.id)
		if c.Status != tt.want || !strings.Contains(c.Reason, tt.why) {
			t.Errorf("check %d %q: %s (%s), want %s mentioning %q", tt.id, c.Title, c.Status, c.Reason, tt.want, tt.why)
		}
	}
	if res.Passed+res.Failed+res.NA != len(p.Checks) {
		t.Errorf("counts %d+%d+%d != %d", res.Passed, res.Failed, res.NA, len(p.Checks))
	}
	t.Logf("CIS Debian 12 on the fake root: %d passed, %d failed, %d not applicable", res.Passed, res.Failed, res.NA)

	// With a command runner the c: check decides.
	res = Evaluate(context.Background(), p, Env{Root: root, Commands: fakeCommands{"findmnt -kn /tmp": "/tmp tmpfs tmpfs rw,nosuid,nodev,noexec", "systemctl is-enabled tmp.mount": "generated"}})
	if c := statusOf(t, res, 33010); c.Status != Passed {
		t.Errorf("33010 with findmnt output: %s (%s)", c.Status, c.Reason)
	}

	// A root that is not Debian 12: the whole policy does not apply.
	other := fakeRoot(t, map[string]string{"etc/debian_version": "11.9\n", "proc/sys/kernel/ostype": "Linux\n"})
	if res := Evaluate(context.Background(), p, Env{Root: other}); res.Applicable || !strings.Contains(res.Reason, "requirements not met") {
		t.Errorf("Debian 11 root: applicable=%v %s", res.Applicable, res.Reason)
	}
}

func TestCISUbuntuParses(t *testing.T) {
	p := loadCorpusPolicy(t, "cis_ubuntu22-04.yml")
	if len(p.Checks) != 207 {
		t.Errorf("%d checks, SOURCES.md says 207", len(p.Checks))
	}
}

// TestCISWindowsRecordedRegistry evaluates the Windows CIS policies on a
// recorded registry export.
func TestCISWindowsRecordedRegistry(t *testing.T) {
	f, err := os.Open("testdata/win10-cis.reg")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := inventory.ParseRegFile(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := loadCorpusPolicy(t, "cis_win10_enterprise.yml")
	if len(p.Checks) != 424 {
		t.Errorf("%d checks, SOURCES.md says 424", len(p.Checks))
	}
	res := Evaluate(context.Background(), p, Env{Root: t.TempDir(), Registry: reg})
	if !res.Applicable {
		t.Fatalf("not applicable: %s", res.Reason)
	}
	for _, tt := range []struct {
		id   int
		want Status
	}{
		{15510, Failed}, // NoConnectedUser absent
		{15512, Passed}, // LimitBlankPasswordUse = 1
		{15619, Passed}, // Domain profile firewall on
		{15635, Failed}, // Public profile firewall off (0)
		{15684, Failed}, // SMB1 = 1
	} {
		if c := statusOf(t, res, tt.id); c.Status != tt.want {
			t.Errorf("check %d %q: %s (%s), want %s", tt.id, c.Title, c.Status, c.Reason, tt.want)
		}
	}
	t.Logf("CIS Windows 10 on the recorded registry: %d passed, %d failed, %d not applicable", res.Passed, res.Failed, res.NA)
	// The server policy requires Windows Server 2019: not applicable here.
	srv := loadCorpusPolicy(t, "cis_win2019.yml")
	if res := Evaluate(context.Background(), srv, Env{Registry: reg}); res.Applicable {
		t.Error("Windows Server 2019 policy applied to a Windows 10 registry")
	}
	// Without a registry, registry rules are not applicable, never failed.
	if res := Evaluate(context.Background(), p, Env{}); res.Applicable || !strings.Contains(res.Reason, "no registry") {
		t.Errorf("no registry: applicable=%v reason=%s", res.Applicable, res.Reason)
	}
}

func TestRuleSyntaxErrors(t *testing.T) {
	for _, r := range []string{"x:/etc", "f:", "f:/a -> r:x -> r:y", "c:a -> r:x -> r:y -> r:z", "f:/a -> n:(\\d+) compare ~ 3", "f:/a -> n:(\\d+) compare >= x", "f:/a -> n:abc", "p:a -> r:b", "nonsense"} {
		if _, err := ParseRule(r, nil); err == nil {
			t.Errorf("%q: no error", r)
		}
	}
	// A PCRE-only regex parses but makes the rule not applicable.
	r, err := ParseRule(`f:/etc/passwd -> r:^(?!root)`, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, detail := evalRule(context.Background(), r, Env{Root: t.TempDir()})
	if v != ruleInvalid || !strings.Contains(detail, "regex") {
		t.Errorf("lookahead: %v %s", v, detail)
	}
}

func TestExpr(t *testing.T) {
	tests := []struct {
		expr, line string
		want       bool
	}{
		{`r:^\s*PermitRootLogin\s+no`, "PermitRootLogin no", true},
		{`!r:^# && r:NOPASSWD`, "# ops NOPASSWD", false},
		{`!r:^# && r:NOPASSWD`, "ops NOPASSWD", true},
		{`n:^PASS_MAX_DAYS\s+(\d+) compare <= 90`, "PASS_MAX_DAYS 99999", false},
		{`n:^PASS_MAX_DAYS\s+(\d+) compare <= 90`, "PASS_MAX_DAYS 60", true},
		{`n:(\d+) compare != 0`, "0", false},
		{`exact line`, "exact line", true},
		{`exact line`, "exact line ", false},
	}
	for _, tt := range tests {
		e, err := ParseExpr(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Match(tt.line, false); got != tt.want {
			t.Errorf("%q on %q = %v", tt.expr, tt.line, got)
		}
	}
}

func TestVariablesAndDiagnostics(t *testing.T) {
	src := `policy: {id: t, name: test}
requirements:
  title: r
  condition: any
  rules: ['f:$cfg']
variables:
  $cfg: /etc/a.conf,/etc/b.conf
checks:
  - id: 1
    title: one
    condition: all
    rules: ['f:$cfg -> r:^x=1$']
  - id: 2
    title: bad type
    condition: all
    rules: ['q:/x']
  - id: 3
    title: bad condition
    condition: most
    rules: ['f:/x']
  - id: 1
    title: duplicate
    condition: all
    rules: ['f:/x']
`
	p, diags, err := Parse("test.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Checks) != 1 || len(diags) != 3 {
		t.Fatalf("checks %d diags %v", len(p.Checks), diags)
	}
	for i, want := range []string{"test.yml:13:", "test.yml:17:", "test.yml:21:"} {
		if !strings.HasPrefix(diags[i].Error(), want) {
			t.Errorf("diag %d = %q, want prefix %q", i, diags[i].Error(), want)
		}
	}
	root := fakeRoot(t, map[string]string{"etc/b.conf": "x=1\n"})
	res := Evaluate(context.Background(), p, Env{Root: root})
	if !res.Applicable || res.Checks[0].Status != Passed {
		t.Errorf("variables: %+v", res)
	}
	for _, bad := range []string{"", "[]", "policy: {name: x}\nchecks: []", "policy: {id: x}"} {
		if _, _, err := Parse("bad.yml", []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.yml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	// An empty root and no command runner: fuzzed policies never touch
	// the host or run anything.
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, err := Parse("fuzz.yml", b)
		if err != nil {
			return
		}
		Evaluate(context.Background(), p, Env{Root: root, Processes: func() ([]string, error) { return []string{"sshd"}, nil }})
	})
}

func BenchmarkEvaluateCISDebian(b *testing.B) {
	p, _, err := ParseFile(filepath.Join(corpus.Dir(b, "vuln/sca"), "cis_debian12.yml"))
	if err != nil {
		b.Fatal(err)
	}
	root := b.TempDir()
	for k, v := range debianRoot {
		os.MkdirAll(filepath.Join(root, filepath.Dir(k)), 0o755)
		os.WriteFile(filepath.Join(root, k), []byte(v), 0o644)
	}
	for b.Loop() {
		Evaluate(context.Background(), p, Env{Root: root})
	}
}
