//go:build windows

package guard

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strconv"

	"golang.org/x/sys/windows"
)

// On Windows the shield takes per-process file activity from Sysmon's event
// log when Sysmon is installed (SysmonSource); otherwise it falls back to
// ReadDirectoryChangesW (fsnotify) without attribution, alerting only. See
// docs/guard.md for the design.
func newPlatform(protect []string, log *slog.Logger) (*platform, error) {
	sm := &SysmonSource{Protect: protect, Logger: log}
	if sm.Available() {
		return &platform{name: "sysmon", source: sm, resp: windowsResponder{}}, nil
	}
	log.Warn("ransomware shield: Sysmon's log is not readable; file activity is watched without process attribution (alerts only)")
	return &platform{name: "notify", source: &Notify{Protect: protect, Logger: log}, resp: windowsResponder{}}, nil
}

// windowsResponder suspends with NtSuspendProcess and kills the process tree
// with taskkill /T /F.
type windowsResponder struct{}

var (
	ntdll            = windows.NewLazySystemDLL("ntdll.dll")
	ntSuspendProcess = ntdll.NewProc("NtSuspendProcess")
	ntResumeProcess  = ntdll.NewProc("NtResumeProcess")
)

const processSuspendResume = 0x0800

func ntCall(proc *windows.LazyProc, pid int) error {
	h, err := windows.OpenProcess(processSuspendResume, false, uint32(pid))
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	if r, _, _ := proc.Call(uintptr(h)); r != 0 {
		return errors.New("NTSTATUS " + strconv.FormatUint(uint64(r), 16))
	}
	return nil
}

func (windowsResponder) StopTree(pid int) ([]int, error) {
	if pid <= 4 || pid == os.Getpid() {
		return nil, errors.New("refusing to stop this process")
	}
	_ = ntCall(ntSuspendProcess, pid)
	if err := exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(pid)).Run(); err != nil {
		return nil, err
	}
	return []int{pid}, nil
}

func (windowsResponder) Freeze(pid int) []int {
	if pid <= 4 || pid == os.Getpid() || ntCall(ntSuspendProcess, pid) != nil {
		return nil
	}
	return []int{pid}
}

func (windowsResponder) Thaw(pids []int) {
	for _, p := range pids {
		_ = ntCall(ntResumeProcess, p)
	}
}
