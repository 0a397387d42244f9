package inventory

import (
	"context"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// Compiled for windows/amd64 in CI; not exercised by tests on Linux.

func collectPlatform(_ context.Context, _ Options, inv *Inventory) {
	inv.OSPlatform = "windows"
	v := windows.RtlGetVersion()
	inv.Kernel = fmt.Sprintf("%d.%d.%d", v.MajorVersion, v.MinorVersion, v.BuildNumber)

	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, registry.QUERY_VALUE); err == nil {
		inv.OSName, _, _ = k.GetStringValue("ProductName")
		inv.OSVersion, _, _ = k.GetStringValue("DisplayVersion")
		if inv.OSVersion == "" {
			inv.OSVersion, _, _ = k.GetStringValue("ReleaseId")
		}
		if ubr, _, err := k.GetIntegerValue("UBR"); err == nil {
			inv.Kernel = fmt.Sprintf("%s.%d", inv.Kernel, ubr)
		}
		k.Close()
	} else {
		inv.fail("registry CurrentVersion", err)
	}
	// Windows 11 still calls itself "Windows 10" in ProductName.
	if v.BuildNumber >= 22000 && len(inv.OSName) >= 10 && inv.OSName[:10] == "Windows 10" {
		inv.OSName = "Windows 11" + inv.OSName[10:]
	}
	inv.OSFull = fmt.Sprintf("%s %s (build %s)", inv.OSName, inv.OSVersion, inv.Kernel)

	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, `HARDWARE\DESCRIPTION\System\CentralProcessor\0`, registry.QUERY_VALUE); err == nil {
		inv.CPUModel, _, _ = k.GetStringValue("ProcessorNameString")
		k.Close()
	} else {
		inv.fail("registry CentralProcessor", err)
	}
	if m, err := totalMemory(); err == nil {
		inv.MemoryBytes = m
	} else {
		inv.fail("memory", err)
	}
	inv.BootTime = time.Now().Add(-windows.DurationSinceBoot()).UTC().Truncate(time.Second)
	if u, err := localUsers(); err == nil {
		inv.Users = u
	} else {
		inv.fail("users", err)
	}
}

// memoryStatusEx is MEMORYSTATUSEX.
type memoryStatusEx struct {
	Length               uint32
	MemoryLoad           uint32
	TotalPhys            uint64
	AvailPhys            uint64
	TotalPageFile        uint64
	AvailPageFile        uint64
	TotalVirtual         uint64
	AvailVirtual         uint64
	AvailExtendedVirtual uint64
}

var procGlobalMemoryStatusEx = windows.NewLazySystemDLL("kernel32.dll").NewProc("GlobalMemoryStatusEx")

func totalMemory() (uint64, error) {
	var m memoryStatusEx
	m.Length = uint32(unsafe.Sizeof(m))
	if r, _, err := procGlobalMemoryStatusEx.Call(uintptr(unsafe.Pointer(&m))); r == 0 {
		return 0, fmt.Errorf("GlobalMemoryStatusEx: %w", err)
	}
	return m.TotalPhys, nil
}

const (
	filterNormalAccount = 0x0002
	maxPreferredLength  = 0xFFFFFFFF
	ufAccountDisable    = 0x0002
)

// userInfo1 is USER_INFO_1; only the name and flags are used.
type userInfo1 struct {
	Name        *uint16
	Password    *uint16
	PasswordAge uint32
	Priv        uint32
	HomeDir     *uint16
	Comment     *uint16
	Flags       uint32
	ScriptPath  *uint16
}

// localUsers lists enabled local accounts (NetUserEnum, level 1).
func localUsers() ([]string, error) {
	var buf *byte
	var read, total, resume uint32
	err := windows.NetUserEnum(nil, 1, filterNormalAccount, &buf, maxPreferredLength, &read, &total, &resume)
	if buf != nil {
		defer windows.NetApiBufferFree(buf)
	}
	if err != nil {
		return nil, fmt.Errorf("NetUserEnum: %w", err)
	}
	var users []string
	for _, u := range unsafe.Slice((*userInfo1)(unsafe.Pointer(buf)), read) {
		if u.Flags&ufAccountDisable == 0 {
			users = append(users, windows.UTF16PtrToString(u.Name))
		}
	}
	return users, nil
}
