//go:build linux

package guard

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// LinuxProcs reads process details from /proc.
type LinuxProcs struct{}

// Parent returns the parent PID, or 0.
func (LinuxProcs) Parent(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	return parseStatPPID(string(b))
}

// parseStatPPID extracts the 4th field of /proc/PID/stat; the command name
// (field 2) may contain spaces and parentheses, so parse after the last ')'.
func parseStatPPID(stat string) int {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// Exe returns the executable path, or "".
func (LinuxProcs) Exe(pid int) string {
	p, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(p, " (deleted)")
}

// Cmdline returns the command line with arguments joined by spaces.
func (LinuxProcs) Cmdline(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// LinuxResponder stops process trees with SIGSTOP then SIGKILL.
type LinuxResponder struct {
	Self int // never signalled
}

// StopTree freezes pid and all its descendants first (so none can start
// new children or finish more files), then kills them.
func (r LinuxResponder) StopTree(pid int) ([]int, error) {
	if pid <= 1 || pid == r.Self {
		return nil, fmt.Errorf("refusing to stop pid %d", pid)
	}
	tree := []int{pid}
	// Freeze in waves: children found after the first freeze cannot grow.
	for round := 0; round < 3; round++ {
		for _, p := range tree {
			_ = syscall.Kill(p, syscall.SIGSTOP)
		}
		kids := descendants(pid)
		grown := false
		for _, k := range kids {
			if k != r.Self && !contains(tree, k) {
				tree = append(tree, k)
				grown = true
			}
		}
		if !grown {
			break
		}
	}
	var errs []error
	var killed []int
	for _, p := range tree {
		if err := syscall.Kill(p, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d: %w", p, err))
			continue
		}
		killed = append(killed, p)
	}
	return killed, errors.Join(errs...)
}

// Freeze suspends the process family (see freezeFamily).
func (r LinuxResponder) Freeze(pid int) []int { return freezeFamily(pid, r.Self) }

// Thaw resumes processes.
func (r LinuxResponder) Thaw(pids []int) {
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGCONT)
	}
}

// descendants lists all processes below pid. It follows
// /proc/PID/task/TID/children, which costs a few reads per process (a
// full /proc scan takes tens of milliseconds on a busy host, time in which
// fan-out workers keep encrypting), and falls back to the scan.
func descendants(pid int) []int {
	if out, ok := descendantsFast(pid); ok {
		return out
	}
	return descendantsScan(pid)
}

func descendantsFast(pid int) ([]int, bool) {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 && len(out) < 10000 {
		p := queue[0]
		queue = queue[1:]
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(p) + "/task")
		if err != nil {
			if p == pid {
				return nil, false
			}
			continue
		}
		for _, t := range tasks {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/task/" + t.Name() + "/children")
			if err != nil {
				if p == pid {
					return nil, false // kernel without CONFIG_PROC_CHILDREN
				}
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil && !contains(out, c) {
					out = append(out, c)
					queue = append(queue, c)
				}
			}
		}
	}
	return out, true
}

func descendantsScan(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		pp := LinuxProcs{}.Parent(p)
		children[pp] = append(children[pp], p)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 && len(out) < 10000 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}
