package inventory

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Options says where to look. Empty paths use the standard locations under
// Root ("/" by default); a path given explicitly that cannot be read is an
// error, a standard location that does not exist is silently skipped.
type Options struct {
	Root       string
	OSRelease  string // default etc/os-release, then usr/lib/os-release
	DpkgStatus string // default var/lib/dpkg/status
	RPMDB      string // default var/lib/rpm (rpmdb.sqlite), then usr/lib/sysimage/rpm
	APKDB      string // default lib/apk/db/installed
	GoPaths    []string
	// Lockfiles are language lockfiles to read (see ReadLockfile).
	Lockfiles []string
	// Registry overrides the live registry (Windows) with a recorded one.
	Registry Registry
	// NoLive disables reading the live registry on Windows.
	NoLive bool
	// OnlyExplicit reads only the paths given above, never the standard
	// locations (for inventories recorded on another host).
	OnlyExplicit bool
}

// Collect gathers an inventory. It never fails on one source: problems
// are recorded in Inventory.Warnings, except errors reading a path that
// was explicitly given, which are returned.
func Collect(ctx context.Context, o Options) (Inventory, error) {
	root := o.Root
	if root == "" {
		root = string(filepath.Separator)
	}
	var inv Inventory
	if !o.OnlyExplicit && o.Root == "" {
		inv.Host, _ = os.Hostname() // a recorded inventory is not this host
	}
	under := func(rel ...string) string { return filepath.Join(append([]string{root}, rel...)...) }

	pick := func(explicit string, defaults ...string) (string, bool) {
		if explicit != "" {
			return explicit, true
		}
		if o.OnlyExplicit {
			return "", false
		}
		for _, d := range defaults {
			if _, err := os.Stat(d); err == nil {
				return d, false
			}
		}
		return "", false
	}

	if p, explicit := pick(o.OSRelease, under("etc", "os-release"), under("usr", "lib", "os-release")); p != "" {
		f, err := os.Open(p)
		if err == nil {
			inv.OS, err = ParseOSRelease(f)
			f.Close()
		}
		if err != nil {
			if explicit {
				return inv, fmt.Errorf("os-release: %w", err)
			}
			inv.Warnings = append(inv.Warnings, "os-release: "+err.Error())
		}
	}
	if p, explicit := pick(o.DpkgStatus, under("var", "lib", "dpkg", "status")); p != "" {
		f, err := os.Open(p)
		if err == nil {
			var pk []Package
			var w []string
			pk, w, err = ParseDpkgStatus(f)
			f.Close()
			inv.Packages = append(inv.Packages, pk...)
			inv.Warnings = append(inv.Warnings, prefix("dpkg status", w)...)
		}
		if err != nil {
			if explicit {
				return inv, fmt.Errorf("dpkg status: %w", err)
			}
			inv.Warnings = append(inv.Warnings, "dpkg status: "+err.Error())
		}
	}
	if p, explicit := pick(o.RPMDB, under("var", "lib", "rpm", "rpmdb.sqlite"), under("usr", "lib", "sysimage", "rpm", "rpmdb.sqlite")); p != "" {
		pk, w, err := ReadRPMDB(ctx, p)
		inv.Packages = append(inv.Packages, pk...)
		inv.Warnings = append(inv.Warnings, w...)
		if err != nil {
			if explicit {
				return inv, err
			}
			inv.Warnings = append(inv.Warnings, err.Error())
		}
	}
	if p, explicit := pick(o.APKDB, under("lib", "apk", "db", "installed")); p != "" {
		f, err := os.Open(p)
		if err == nil {
			var pk []Package
			var w []string
			pk, w, err = ParseAPKInstalled(f)
			f.Close()
			inv.Packages = append(inv.Packages, pk...)
			inv.Warnings = append(inv.Warnings, prefix("apk db", w)...)
		}
		if err != nil {
			if explicit {
				return inv, fmt.Errorf("apk db: %w", err)
			}
			inv.Warnings = append(inv.Warnings, "apk db: "+err.Error())
		}
	}
	reg := o.Registry
	live := false
	if reg == nil && !o.NoLive {
		reg = liveRegistry()
		live = reg != nil
	}
	if reg != nil {
		collectWindows(reg, &inv)
	}
	if live {
		// srv.sys's version proves MS17-010 regardless of which update
		// delivered it (KB4023262).
		sysroot := os.Getenv("SystemRoot")
		if sysroot == "" {
			sysroot = `C:\Windows`
		}
		if v, err := FileVersion(filepath.Join(sysroot, "System32", "drivers", "srv.sys")); err == nil {
			inv.Files = map[string]string{"srv.sys": v}
		}
	}
	if len(o.GoPaths) > 0 {
		pk, w := ScanGoBinaries(ctx, o.GoPaths)
		inv.Packages = append(inv.Packages, pk...)
		inv.Warnings = append(inv.Warnings, w...)
	}
	for _, l := range o.Lockfiles {
		pk, err := ReadLockfile(l)
		if err != nil {
			return inv, err
		}
		inv.Packages = append(inv.Packages, pk...)
	}
	inv.SetEcosystem()
	return inv, ctx.Err()
}

// collectWindows adds the OS identity, programs and hotfixes read from a
// registry.
func collectWindows(reg Registry, inv *Inventory) {
	if name := WindowsComputerName(reg); name != "" {
		inv.Host = name
	}
	if o, err := WindowsOS(reg); err == nil {
		inv.OS = o
	} else {
		inv.Warnings = append(inv.Warnings, err.Error())
	}
	if pk, err := WindowsPrograms(reg); err == nil {
		inv.Packages = append(inv.Packages, pk...)
	} else {
		inv.Warnings = append(inv.Warnings, err.Error())
	}
	if kb, err := WindowsHotfixes(reg); err == nil {
		inv.Hotfixes = kb
	} else {
		inv.Warnings = append(inv.Warnings, err.Error())
	}
}

func prefix(p string, ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = p + ": " + w
	}
	return out
}

// LiveRegistry returns the live Windows registry, or nil on other systems.
func LiveRegistry() Registry { return liveRegistry() }
