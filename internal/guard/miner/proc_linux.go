package miner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const maxCmdline = 64 << 10

// readSnapshot reads every process from /proc with its CPU time and its
// established TCP peers. Sockets are matched through their inodes; each
// network namespace's tables are read once, through a process inside it,
// so miners in containers are seen too.
func readSnapshot(ctx context.Context) (snapshot, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return snapshot{}, fmt.Errorf("read /proc: %w", err)
	}
	snap := snapshot{at: time.Now()}
	inodes := map[uint64][]int{} // socket inode -> indexes into snap.procs
	netns := map[string]int{}    // namespace -> a pid inside it
	for n, e := range ents {
		if n%256 == 0 && ctx.Err() != nil {
			return snapshot{}, ctx.Err()
		}
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, ok := readProc(pid)
		if !ok {
			continue
		}
		idx := len(snap.procs)
		snap.procs = append(snap.procs, p)
		dir := filepath.Join("/proc", e.Name())
		if ns, err := os.Readlink(filepath.Join(dir, "ns", "net")); err == nil {
			if _, ok := netns[ns]; !ok {
				netns[ns] = pid
			}
		}
		fds, err := os.ReadDir(filepath.Join(dir, "fd"))
		if err != nil {
			continue // not ours to read, or gone
		}
		for _, fd := range fds {
			l, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
			if err != nil || !strings.HasPrefix(l, "socket:[") {
				continue
			}
			if ino, err := strconv.ParseUint(strings.TrimSuffix(l[len("socket:["):], "]"), 10, 64); err == nil {
				inodes[ino] = append(inodes[ino], idx)
			}
		}
	}
	if len(netns) == 0 {
		netns["self"] = os.Getpid()
	}
	for _, pid := range netns {
		for _, t := range []string{"tcp", "tcp6"} {
			f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "net", t))
			if err != nil {
				continue
			}
			_ = parseTCP(f, func(c tcpConn) {
				if c.State != tcpEstablished && c.State != tcpSynSent {
					return
				}
				for _, i := range inodes[c.Inode] {
					snap.procs[i].Remote = appendUnique(snap.procs[i].Remote, c.Remote)
				}
			})
			f.Close()
		}
	}
	return snap, nil
}

func appendUnique(s []netip.AddrPort, a netip.AddrPort) []netip.AddrPort {
	for _, x := range s {
		if x == a {
			return s
		}
	}
	return append(s, a)
}

// readProc reads one process; ok is false for kernel threads and processes
// that exited meanwhile.
func readProc(pid int) (procInfo, bool) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procInfo{}, false
	}
	p, ok := parseStat(stat)
	if !ok {
		return procInfo{}, false
	}
	p.PID = pid
	p.Exe, _ = os.Readlink(filepath.Join(dir, "exe"))
	if f, err := os.Open(filepath.Join(dir, "cmdline")); err == nil {
		b, _ := io.ReadAll(io.LimitReader(f, maxCmdline))
		f.Close()
		p.Argv = splitCmdline(b)
	}
	if len(p.Argv) == 0 && p.Exe == "" {
		return procInfo{}, false // kernel thread or zombie
	}
	return p, true
}

// ErrGone is returned by Kill when the process of a finding no longer
// exists (or its pid now belongs to another process).
var ErrGone = errors.New("process no longer exists")

// Kill sends SIGKILL to the process of a finding, after checking that its
// pid still names the same process (same start time), so a reused pid is
// never killed.
func Kill(f Finding) error {
	if f.PID <= 1 || f.PID == os.Getpid() {
		return fmt.Errorf("kill %d: refused (init or self)", f.PID)
	}
	if f.start != 0 {
		p, ok := readProc(f.PID)
		if !ok || p.Start != f.start {
			return fmt.Errorf("kill %d: %w", f.PID, ErrGone)
		}
	}
	if err := syscall.Kill(f.PID, syscall.SIGKILL); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("kill %d: %w", f.PID, ErrGone)
		}
		return fmt.Errorf("kill %d: %w", f.PID, err)
	}
	return nil
}
