package inventory

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Registry locations read for Windows inventories.
const (
	regCurrentVersion = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	regUninstall      = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
	regUninstall32    = `HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`
	regCBSPackages    = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\Packages`
	regComputerName   = `HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName`
)

// WindowsComputerName returns the NetBIOS computer name, or "".
func WindowsComputerName(reg Registry) string {
	v, err := reg.Values(regComputerName)
	if err != nil {
		return ""
	}
	name, _ := v.Get("ComputerName")
	return name
}

// WindowsOS reads the edition, build and UBR from the registry.
func WindowsOS(reg Registry) (OS, error) {
	v, err := reg.Values(regCurrentVersion)
	if err != nil {
		return OS{}, fmt.Errorf("windows version: %w", err)
	}
	o := OS{Family: "windows", ID: "windows"}
	o.ProductName, _ = v.Get("ProductName")
	o.EditionID, _ = v.Get("EditionID")
	o.InstallationType, _ = v.Get("InstallationType")
	o.DisplayVersion, _ = v.Get("DisplayVersion")
	if o.DisplayVersion == "" {
		o.DisplayVersion, _ = v.Get("ReleaseId")
	}
	o.Build = v.Int("CurrentBuildNumber", v.Int("CurrentBuild", 0))
	o.UBR = v.Int("UBR", 0)
	if maj, min := v.Int("CurrentMajorVersionNumber", -1), v.Int("CurrentMinorVersionNumber", -1); maj >= 0 && min >= 0 {
		o.MajorMinor = fmt.Sprintf("%d.%d", maj, min)
	} else {
		// Before Windows 10 CurrentVersion held "6.1" and so on; on 10 and
		// later it is frozen at 6.3 and the numbers above are used.
		o.MajorMinor, _ = v.Get("CurrentVersion")
	}
	// Windows 11 still calls itself "Windows 10" in ProductName.
	if o.Build >= 22000 && strings.HasPrefix(o.ProductName, "Windows 10") && o.InstallationType != "Server" {
		o.ProductName = "Windows 11" + strings.TrimPrefix(o.ProductName, "Windows 10")
	}
	o.Name = o.ProductName
	o.PrettyName = strings.TrimSpace(o.ProductName + " " + o.DisplayVersion)
	o.VersionID = o.WindowsVersion()
	return o, nil
}

// WindowsPrograms lists installed programs from the 64- and 32-bit
// Uninstall keys, skipping system components and updates of other
// programs (ParentKeyName).
func WindowsPrograms(reg Registry) ([]Package, error) {
	var out []Package
	seen := map[string]bool{}
	found := false
	for _, root := range []string{regUninstall, regUninstall32} {
		subs, err := reg.SubKeys(root)
		if errors.Is(err, ErrNoKey) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("windows programs: %w", err)
		}
		found = true
		for _, s := range subs {
			v, err := reg.Values(root + `\` + s)
			if err != nil {
				continue
			}
			name, _ := v.Get("DisplayName")
			if name == "" || v.Int("SystemComponent", 0) == 1 {
				continue
			}
			if p, _ := v.Get("ParentKeyName"); p != "" {
				continue
			}
			ver, _ := v.Get("DisplayVersion")
			pub, _ := v.Get("Publisher")
			key := name + "\x00" + ver
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Package{Name: name, Version: ver, Publisher: pub, Manager: Windows, Location: root + `\` + s})
		}
	}
	if !found {
		return nil, fmt.Errorf("windows programs: %w", ErrNoKey)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

var kbRe = regexp.MustCompile(`(?i)\bKB(\d{6,7})\b`)

// cbsKBRe finds the KB in servicing package names such as
// "Package_for_KB4012212~31bf3856ad364e35~amd64~~6.1.1.0" and
// "Package_1_for_KB5005565~...".
var cbsKBRe = regexp.MustCompile(`(?i)_for_KB(\d{6,7})~`)

// WindowsHotfixes lists installed KBs from the component-based servicing
// packages (CurrentState 112 = installed) and from Uninstall entries of
// updates, which is where Windows XP/2003-era hotfixes are recorded.
func WindowsHotfixes(reg Registry) ([]string, error) {
	set := map[string]bool{}
	subs, err := reg.SubKeys(regCBSPackages)
	if err != nil && !errors.Is(err, ErrNoKey) {
		return nil, fmt.Errorf("windows hotfixes: %w", err)
	}
	for _, s := range subs {
		m := cbsKBRe.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		v, err := reg.Values(regCBSPackages + `\` + s)
		if err != nil {
			continue
		}
		// 112 (0x70) installed; anything else (staged, superseded and
		// removed, install pending) does not protect the host.
		if v.Int("CurrentState", 112) != 112 {
			continue
		}
		set["KB"+m[1]] = true
	}
	for _, root := range []string{regUninstall, regUninstall32} {
		keys, _ := reg.SubKeys(root)
		for _, s := range keys {
			if m := kbRe.FindStringSubmatch(s); m != nil {
				set["KB"+m[1]] = true
			}
		}
	}
	return sortedKeys(set), nil
}

// ParseHotfixList extracts the KB numbers from a recorded hotfix listing:
// `Get-HotFix | Export-Csv`, `wmic qfe list`, `systeminfo` output or one KB
// per line. Lines are scanned for KBnnnnnn tokens.
func ParseHotfixList(r io.Reader) ([]string, error) {
	set := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxRegLine)
	for sc.Scan() {
		for _, m := range kbRe.FindAllStringSubmatch(sc.Text(), -1) {
			set["KB"+m[1]] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading hotfix list: %w", err)
	}
	return sortedKeys(set), nil
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
