package response

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// processParents maps every pid to its parent pid, from /proc/PID/stat.
func processParents() (map[int]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := make(map[int]int, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses,
		// so split after the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:])
		if len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(string(f[1])); err == nil {
			out[pid] = pp
		}
	}
	return out, nil
}

func processInfo(pid int) (name, exe string) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	if b, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
		name = string(bytes.TrimSpace(b))
	}
	exe, _ = os.Readlink(filepath.Join(dir, "exe"))
	return name, exe
}

func stopProcess(pid int) { _ = syscall.Kill(pid, syscall.SIGSTOP) }
