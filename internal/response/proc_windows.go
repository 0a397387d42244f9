package response

import (
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
)

// processParents maps every pid to its parent pid from a Toolhelp snapshot.
// Windows reuses pids and does not re-parent orphans, so a parent pid may
// name an unrelated newer process; the tree is a best effort.
func processParents() (map[int]int, error) {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(snap)
	var pe windows.ProcessEntry32
	pe.Size = uint32(unsafe.Sizeof(pe))
	out := map[int]int{}
	for err = windows.Process32First(snap, &pe); err == nil; err = windows.Process32Next(snap, &pe) {
		out[int(pe.ProcessID)] = int(pe.ParentProcessID)
	}
	return out, nil
}

func processInfo(pid int) (name, exe string) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return "", ""
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if windows.QueryFullProcessImageName(h, 0, &buf[0], &n) != nil {
		return "", ""
	}
	exe = windows.UTF16ToString(buf[:n])
	return filepath.Base(exe), exe
}

// Windows has no SIGSTOP; suspending needs NtSuspendProcess. The tree is
// killed without stopping it first.
func stopProcess(int) {}
