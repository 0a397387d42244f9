package response

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Windows design (built, not yet exercised on a Windows host):
//
// Isolation uses the Windows Defender Firewall through netsh advfirewall,
// which every supported Windows has:
//  1. export the current policy to the agent state dir (only if no export
//     exists, so re-isolating never overwrites the pre-isolation policy);
//  2. disable every existing rule (allow rules would otherwise still pass
//     traffic: with the firewall, an explicit allow beats the default block);
//  3. add medshield_isolation allow rules: TCP out to each server, DNS;
//  4. turn the firewall on for all profiles with blockinbound,blockoutbound.
//
// Until step 4 the default outbound policy still allows, so the server is
// never cut off midway; loopback is exempt from the firewall and replies on
// allowed connections pass (it is stateful). Un-isolation imports the
// exported policy and deletes the export. A later version should use the
// Windows Filtering Platform directly (a medshield sublayer with a permit
// filter per server above a block-all filter, added in one WFP transaction
// and removed with the sublayer), which leaves other rules untouched and
// cannot be undone by a user with the firewall UI.

// NewFirewall returns the Windows firewall (netsh advfirewall).
func NewFirewall(run Runner) Firewall {
	if run == nil {
		run = ExecRunner
	}
	dir := os.Getenv("ProgramData")
	if dir == "" {
		dir = `C:\ProgramData`
	}
	return &windowsFirewall{run: run, saved: filepath.Join(dir, "medshield", "agent", TableName+".wfw")}
}

type windowsFirewall struct {
	run   Runner
	saved string
}

// netshIsolate returns the netsh commands that isolate (after the export).
func netshIsolate(p Policy) [][]string {
	cmds := [][]string{
		{"advfirewall", "firewall", "set", "rule", "name=all", "new", "enable=no"},
	}
	add := func(extra ...string) {
		cmds = append(cmds, append([]string{"advfirewall", "firewall", "add", "rule", "name=" + TableName, "dir=out", "action=allow", "enable=yes", "profile=any"}, extra...))
	}
	for _, ap := range p.Allow {
		add("protocol=TCP", "remoteip="+ap.Addr().String(), "remoteport="+strconv.Itoa(int(ap.Port())))
	}
	if p.DNS {
		for _, proto := range []string{"UDP", "TCP"} {
			if len(p.DNSServers) == 0 {
				add("protocol="+proto, "remoteport=53")
			}
			for _, ip := range p.DNSServers {
				add("protocol="+proto, "remoteip="+ip.String(), "remoteport=53")
			}
		}
	}
	return append(cmds,
		[]string{"advfirewall", "set", "allprofiles", "state", "on"},
		[]string{"advfirewall", "set", "allprofiles", "firewallpolicy", "blockinbound,blockoutbound"})
}

func (f *windowsFirewall) Isolate(ctx context.Context, p Policy) (string, error) {
	if _, err := os.Stat(f.saved); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(f.saved), 0o700); err != nil {
			return "", err
		}
		if _, err := f.run(ctx, nil, "netsh", "advfirewall", "export", f.saved); err != nil {
			return "", fmt.Errorf("save firewall policy: %w", err)
		}
	} else {
		// Re-isolating: drop our previous rules; the saved policy stays.
		_, _ = f.run(ctx, nil, "netsh", "advfirewall", "firewall", "delete", "rule", "name="+TableName)
	}
	for _, c := range netshIsolate(p) {
		if _, err := f.run(ctx, nil, "netsh", c...); err != nil {
			return "", err
		}
	}
	return "windows-firewall", nil
}

func (f *windowsFirewall) Unisolate(ctx context.Context) error {
	if _, err := os.Stat(f.saved); errors.Is(err, os.ErrNotExist) {
		return nil // not isolated
	}
	if _, err := f.run(ctx, nil, "netsh", "advfirewall", "import", f.saved); err != nil {
		return fmt.Errorf("unisolate: restore firewall policy: %w", err)
	}
	return os.Remove(f.saved)
}
