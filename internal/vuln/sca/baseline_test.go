package sca

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/rules"
)

func loadBaseline(t *testing.T) map[string]*Policy {
	t.Helper()
	ps, diags, err := LoadFS(rules.Baseline)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		t.Errorf("baseline diagnostic: %v", d)
	}
	out := map[string]*Policy{}
	for _, p := range ps {
		out[p.ID] = p
	}
	return out
}

// TestBaselinePolicies checks medshield's own policies: they parse cleanly,
// every check is mapped to 等保2.0 and has a remediation, ids are unique,
// and the checks hospitals fail most are present.
func TestBaselinePolicies(t *testing.T) {
	ps := loadBaseline(t)
	want := []string{"medshield_linux_debian", "medshield_linux_rhel", "medshield_windows_client", "medshield_windows_server"}
	if len(ps) != len(want) {
		t.Fatalf("%d policies, want %d", len(ps), len(want))
	}
	ids := map[int]string{}
	for _, id := range want {
		p := ps[id]
		if p == nil {
			t.Fatalf("policy %s missing", id)
		}
		for _, c := range p.Checks {
			if other, dup := ids[c.ID]; dup {
				t.Errorf("check %d in %s and %s", c.ID, id, other)
			}
			ids[c.ID] = id
			if len(c.Compliance["dengbao_l3"]) == 0 || c.Remediation == "" {
				t.Errorf("%s check %d %q: no 等保 mapping or remediation", id, c.ID, c.Title)
			}
			for _, d := range c.Compliance["dengbao_l3"] {
				if !strings.HasPrefix(d, "8.1.4.") {
					t.Errorf("%s check %d: 等保 id %q is not a 安全计算环境 (8.1.4.x) control", id, c.ID, d)
				}
			}
		}
	}
	topics := map[string][]string{
		"medshield_windows_client": {"SMBv1", "Network Level Authentication", "password length", "complexity", "audited", "guest", "AutoRun", "Firewall", "screen locks", "still receives security updates"},
		"medshield_windows_server": {"SMBv1", "Network Level Authentication", "password length", "audited", "guest", "AutoRun", "Firewall", "screen locks", "still receives security updates"},
		"medshield_linux_debian":   {"minimum length", "lock after", "root login", "audit daemon", "firewall", "guest", "time out", "lock the screen", "SMBv1", "release still receives"},
		"medshield_linux_rhel":     {"minimum length", "lock after", "root login", "audit daemon", "firewall", "guest", "time out", "SELinux", "release still receives"},
	}
	for id, ts := range topics {
		var titles []string
		for _, c := range ps[id].Checks {
			titles = append(titles, c.Title)
		}
		all := strings.Join(titles, "\n")
		for _, topic := range ts {
			if !strings.Contains(all, topic) {
				t.Errorf("%s: no check about %q", id, topic)
			}
		}
	}
}

type procs []string

func (p procs) list() ([]string, error) { return p, nil }

// TestBaselineLinux evaluates the Debian policy on a weak and on a hardened
// fake root.
func TestBaselineLinux(t *testing.T) {
	p := loadBaseline(t)["medshield_linux_debian"]
	weak := fakeRoot(t, map[string]string{
		"etc/debian_version":          "10.13\n",
		"etc/ssh/sshd_config":         "PermitRootLogin yes\nPermitEmptyPasswords yes\n",
		"etc/shadow":                  "root:$6$x:19000:0:99999:7:::\nguest::19000:0:99999:7:::\n",
		"etc/passwd":                  "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\nguest:x:1001:1001::/home/guest:/bin/bash\n",
		"etc/login.defs":              "PASS_MAX_DAYS\t99999\n",
		"etc/security/pwquality.conf": "# minlen = 14\nminlen = 6\n",
		"etc/samba/smb.conf":          "[global]\n   server min protocol = NT1\n",
		"usr/share/gnome-shell/x":     "",
		"usr/sbin/in.telnetd":         "\x7fELF",
	})
	inactive := fakeCommands{"systemctl is-active auditd": "inactive", "systemctl is-active nftables": "inactive", "systemctl is-active ufw": "inactive", "systemctl is-active firewalld": "inactive"}
	res := Evaluate(context.Background(), p, Env{Root: weak, Commands: inactive, Processes: procs{"sshd", "bash"}.list})
	if !res.Applicable {
		t.Fatal(res.Reason)
	}
	for _, c := range res.Checks {
		if c.Status != Failed {
			t.Errorf("weak root: check %d %q is %s (%s), want failed", c.ID, c.Title, c.Status, c.Reason)
		}
	}
	hard := fakeRoot(t, map[string]string{
		"etc/debian_version":                      "12.7\n",
		"etc/os-release":                          "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/ssh/sshd_config":                     "Include /etc/ssh/sshd_config.d/*.conf\n",
		"etc/ssh/sshd_config.d/10-medshield.conf": "PermitRootLogin no\n",
		"etc/shadow":                              "root:$6$x:19000:0:90:7:::\n",
		"etc/passwd":                              "root:x:0:0:root:/root:/bin/bash\nnurse:x:1000:1000::/home/nurse:/bin/bash\n",
		"etc/login.defs":                          "PASS_MAX_DAYS\t90\n",
		"etc/security/pwquality.conf":             "minlen = 12\nminclass = 3\n",
		"etc/security/faillock.conf":              "deny = 5\nunlock_time = 900\n",
		"etc/pam.d/common-auth":                   "auth required pam_faillock.so preauth\n",
		"etc/profile.d/tmout.sh":                  "readonly TMOUT=900 ; export TMOUT\n",
		"etc/audit/auditd.conf":                   "max_log_file_action = keep_logs\n",
		"etc/apt/apt.conf.d/20auto-upgrades":      "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n",
		"etc/samba/smb.conf":                      "[global]\n   server min protocol = SMB2_10\n",
	})
	active := fakeCommands{"systemctl is-active auditd": "active", "systemctl is-active nftables": "active", "systemctl is-active ufw": "inactive", "systemctl is-active firewalld": "inactive"}
	res = Evaluate(context.Background(), p, Env{Root: hard, Commands: active, Processes: procs{"sshd", "medshield"}.list})
	for _, c := range res.Checks {
		if c.Status != Passed {
			t.Errorf("hardened root: check %d %q is %s (%s), want passed", c.ID, c.Title, c.Status, c.Reason)
		}
	}
	if res.Score() != 100 {
		t.Errorf("hardened score %.0f", res.Score())
	}
	// Without a command runner, command checks are not applicable, never failed.
	res = Evaluate(context.Background(), p, Env{Root: hard, Processes: procs{"medshield"}.list})
	for _, c := range res.Checks {
		if strings.Contains(c.Title, "audit daemon") && c.Status != NotApplicable {
			t.Errorf("no runner: %q is %s", c.Title, c.Status)
		}
	}
	rhel := loadBaseline(t)["medshield_linux_rhel"]
	if res := Evaluate(context.Background(), rhel, Env{Root: hard}); res.Applicable {
		t.Error("RHEL policy applied to a Debian root")
	}
}

func readReg(t *testing.T, p string) inventory.Registry {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rf, err := inventory.ParseRegFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return rf
}

// Recorded outputs of the two language-independent commands.
const (
	secpolWeak = "[Unicode]\nUnicode=yes\n[System Access]\nMinimumPasswordAge = 0\nMaximumPasswordAge = -1\nMinimumPasswordLength = 0\nPasswordComplexity = 0\nLockoutBadCount = 0\nEnableGuestAccount = 1\n"
	secpolHard = "[Unicode]\nUnicode=yes\n[System Access]\nMinimumPasswordAge = 1\nMaximumPasswordAge = 90\nMinimumPasswordLength = 12\nPasswordComplexity = 1\nLockoutBadCount = 5\nEnableGuestAccount = 0\n"
	auditWeak  = "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting,Setting Value\nWS07,System,Logon,{0CCE9215-69AE-11D9-BED3-505054503030},Success,,1\nWS07,System,Credential Validation,{0CCE923F-69AE-11D9-BED3-505054503030},No Auditing,,0\n"
	auditHard  = "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting,Setting Value\nWS11,System,登录,{0CCE9215-69AE-11D9-BED3-505054503030},成功和失败,,3\nWS11,System,凭据验证,{0CCE923F-69AE-11D9-BED3-505054503030},成功和失败,,3\n"
)

func TestBaselineWindows(t *testing.T) {
	p := loadBaseline(t)["medshield_windows_client"]
	secpol, auditpol := p.Variables["$secpol"], p.Variables["$auditpol"]
	weak := Env{Registry: readReg(t, "../inventory/testdata/win7-sp1-unpatched.reg"), Commands: fakeCommands{secpol: secpolWeak, auditpol: auditWeak}, Processes: procs{"explorer.exe"}.list}
	res := Evaluate(context.Background(), p, weak)
	if !res.Applicable {
		t.Fatal(res.Reason)
	}
	for _, c := range res.Checks {
		want := Failed
		if c.ID == 92015 { // Defender is not disabled by policy on that host
			want = Passed
		}
		if c.Status != want {
			t.Errorf("Windows 7 host: check %d %q is %s (%s), want %s", c.ID, c.Title, c.Status, c.Reason, want)
		}
	}
	hard := Env{Registry: readReg(t, "testdata/win10-hardened.reg"), Commands: fakeCommands{secpol: secpolHard, auditpol: auditHard}, Processes: procs{"explorer.exe"}.list}
	res = Evaluate(context.Background(), p, hard)
	for _, c := range res.Checks {
		if c.Status != Passed {
			t.Errorf("hardened host: check %d %q is %s (%s)", c.ID, c.Title, c.Status, c.Reason)
		}
	}
	srv := loadBaseline(t)["medshield_windows_server"]
	if res := Evaluate(context.Background(), srv, hard); res.Applicable {
		t.Error("server policy applied to a client")
	}
}

func TestByControl(t *testing.T) {
	p := loadBaseline(t)["medshield_windows_client"]
	secpol, auditpol := p.Variables["$secpol"], p.Variables["$auditpol"]
	// Hardened registry but the weak security policy export: password and
	// lockout controls fail, the others pass.
	env := Env{Registry: readReg(t, "testdata/win10-hardened.reg"), Commands: fakeCommands{secpol: secpolWeak, auditpol: auditHard}, Processes: procs{}.list}
	res := Evaluate(context.Background(), p, env)
	cs := ByControl([]PolicyResult{res}, "dengbao_l3")
	status := map[string]Status{}
	for _, c := range cs {
		status[c.Control] = c.Status
		if c.Status == Failed && len(c.Failed) == 0 {
			t.Errorf("%s failed without a failed check", c.Control)
		}
	}
	want := map[string]Status{"8.1.4.1a": Failed, "8.1.4.1b": Failed, "8.1.4.1c": Passed, "8.1.4.3a": Passed, "8.1.4.4b": Passed, "8.1.4.5a": Passed, "8.1.4.2b": Failed}
	for code, st := range want {
		if status[code] != st {
			t.Errorf("%s: %s, want %s", code, status[code], st)
		}
	}
	var b strings.Builder
	WriteControlReport(&b, cs)
	if !strings.Contains(b.String(), "8.1.4.1a 身份鉴别") || !strings.Contains(b.String(), "不符合 failed") {
		t.Errorf("report:\n%s", b.String())
	}
}
