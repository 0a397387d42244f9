//go:build windows

package sca

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// processNames lists the executable names of running processes with a
// Toolhelp snapshot; with a root other than the live system it reads
// ROOT/proc like on other systems (a recorded tree).
func processNames(root string) ([]string, error) {
	if root != "" && root != `\` && root != "/" {
		return procNames(root)
	}
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(snap)
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	var out []string
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		out = append(out, windows.UTF16ToString(e.ExeFile[:]))
	}
	return out, nil
}
