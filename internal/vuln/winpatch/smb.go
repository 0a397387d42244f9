package winpatch

import (
	"errors"
	"strings"

	"github.com/medshield/medshield/internal/vuln/inventory"
)

// SMB1 is the SMBv1 state of a host with the evidence for it.
type SMB1 struct {
	Server      Status `json:"server"` // Vulnerable = enabled, Patched = disabled, Unknown
	Client      Status `json:"client"`
	ServerWhy   string `json:"server_reason"`
	ClientWhy   string `json:"client_reason"`
	Remediation string `json:"remediation"`
}

// Enabled reports whether either side is (or may be) enabled.
func (s SMB1) Enabled() bool { return s.Server != Patched || s.Client != Patched }

const (
	regLanmanServer = `HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters`
	regMrxSmb10     = `HKLM\SYSTEM\CurrentControlSet\Services\mrxsmb10`
	regWorkstation  = `HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation`
)

// SMB1State reads SMBv1 server and client state from the registry and,
// when given, the optional-feature state ("SMB1Protocol": "Enabled" or
// "Disabled", as Get-WindowsOptionalFeature reports it).
func SMB1State(o inventory.OS, reg inventory.Registry, features map[string]string) SMB1 {
	s := SMB1{Server: Unknown, Client: Unknown,
		Remediation: "Disable SMBv1: Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol (Windows 8.1/2012 R2 and later) or set LanmanServer\\Parameters SMB1=0 and mrxsmb10 Start=4 (Windows 7/2008 R2)."}
	if st, ok := features["SMB1Protocol"]; ok {
		if strings.EqualFold(st, "Disabled") || strings.EqualFold(st, "DisabledWithPayloadRemoved") {
			s.Server, s.Client = Patched, Patched
			s.ServerWhy, s.ClientWhy = "feature SMB1Protocol is "+st, "feature SMB1Protocol is "+st
			return s
		}
	}
	if reg == nil {
		s.ServerWhy, s.ClientWhy = "no registry data", "no registry data"
		return s
	}
	// Server: SMB1=0 disables it; absent means the default, which is
	// enabled before Windows 10 1709 (build 16299).
	if v, err := reg.Values(regLanmanServer); err == nil {
		if val, ok := v.Get("SMB1"); ok {
			if val == "0" {
				s.Server, s.ServerWhy = Patched, "LanmanServer\\Parameters SMB1=0"
			} else {
				s.Server, s.ServerWhy = Vulnerable, "LanmanServer\\Parameters SMB1="+val
			}
		} else if o.MajorMinor != "10.0" || o.Build < 16299 {
			s.Server, s.ServerWhy = Vulnerable, "SMB1 value absent: enabled by default on this Windows version"
		} else {
			s.Server, s.ServerWhy = Unknown, "SMB1 value absent: depends on the SMB1Protocol feature, which was not collected"
		}
	} else if errors.Is(err, inventory.ErrNoKey) {
		s.ServerWhy = "LanmanServer parameters not collected"
	}
	// Client: the mrxsmb10 driver (Start=4 disabled) and the workstation
	// service's dependency on it.
	if v, err := reg.Values(regMrxSmb10); err == nil {
		if v.Int("Start", -1) == 4 {
			s.Client, s.ClientWhy = Patched, "mrxsmb10 Start=4 (disabled)"
		} else {
			start, _ := v.Get("Start")
			s.Client, s.ClientWhy = Vulnerable, "mrxsmb10 Start="+start
		}
	} else if errors.Is(err, inventory.ErrNoKey) {
		s.Client, s.ClientWhy = Patched, "mrxsmb10 driver not installed"
	}
	if v, err := reg.Values(regWorkstation); err == nil {
		if dep, _ := v.Get("DependOnService"); strings.Contains(strings.ToLower(dep), "mrxsmb10") {
			s.Client, s.ClientWhy = Vulnerable, strings.TrimSpace(s.ClientWhy+"; LanmanWorkstation depends on MRxSmb10")
		}
	}
	return s
}
