package inventory

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

func collectPlatform(_ context.Context, o Options, inv *Inventory) {
	read := func(name string, parse func(io.Reader) error) {
		f, err := os.Open(filepath.Join(o.Root, name))
		if err != nil {
			inv.fail(name, err)
			return
		}
		defer f.Close()
		// Bounded: these files are small; a huge one is not what we expect.
		if err := parse(io.LimitReader(f, 4<<20)); err != nil {
			inv.fail(name, err)
		}
	}
	osRelease := "etc/os-release"
	if _, err := os.Stat(filepath.Join(o.Root, osRelease)); err != nil {
		osRelease = "usr/lib/os-release" // the fallback os-release(5) names
	}
	read(osRelease, func(r io.Reader) error {
		m, err := ParseOSRelease(r)
		inv.OSName, inv.OSVersion, inv.OSPlatform, inv.OSFull = m["NAME"], m["VERSION_ID"], m["ID"], m["PRETTY_NAME"]
		if inv.OSVersion == "" {
			inv.OSVersion = m["VERSION"]
		}
		return err
	})
	read("proc/meminfo", func(r io.Reader) (err error) {
		inv.MemoryBytes, err = ParseMemTotal(r)
		return err
	})
	read("proc/cpuinfo", func(r io.Reader) error {
		ci, err := ParseCPUInfo(r)
		inv.CPUModel = ci.Model
		if ci.Count > 0 {
			inv.CPUCount = ci.Count
		}
		return err
	})
	read("proc/stat", func(r io.Reader) (err error) {
		inv.BootTime, err = ParseBootTime(r)
		return err
	})
	var shells map[string]bool
	if f, err := os.Open(filepath.Join(o.Root, "etc/shells")); err == nil {
		shells, _ = ParseShells(io.LimitReader(f, 1<<20))
		f.Close()
	}
	read("etc/passwd", func(r io.Reader) (err error) {
		inv.Users, err = ParseLoginUsers(r, shells)
		return err
	})
	inv.Kernel = kernelRelease(o.Root, inv)
}

// kernelRelease prefers /proc/sys/kernel/osrelease (readable under a test
// root) and falls back to uname(2).
func kernelRelease(root string, inv *Inventory) string {
	if b, err := os.ReadFile(filepath.Join(root, "proc/sys/kernel/osrelease")); err == nil && len(b) < 256 {
		if s := strings.TrimSpace(string(b)); s != "" {
			return s
		}
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		inv.fail("uname", err)
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
