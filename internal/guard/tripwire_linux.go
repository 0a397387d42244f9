//go:build linux

package guard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// tripwire guards the canary files with fanotify permission events: the
// kernel blocks every open of a decoy until the shield answers. A process
// that opens a decoy for writing (or truncation) is denied and frozen with
// SIGSTOP on the spot, before it can touch another file; readers (backup
// tools, indexers, archivers) are allowed. The open flags are read from
// /proc/PID/syscall while the opener waits inside open/openat.
type tripwire struct {
	fd     int
	paths  map[string]bool
	self   int
	backup *Backup // copy-on-first-write of protected files, or nil
}

func newTripwire(paths []string, self int, dirs []string, backup *Backup) (*tripwire, error) {
	// FAN_REPORT_TID: the event names the thread blocked in open, whose
	// /proc/TID/syscall shows the flags (a Go or multi-threaded program may
	// open from any thread).
	fd, err := unix.FanotifyInit(unix.FAN_CLASS_CONTENT|unix.FAN_CLOEXEC|unix.FAN_NONBLOCK|unix.FAN_REPORT_TID, unix.O_RDONLY|unix.O_LARGEFILE)
	if err != nil {
		return nil, fmt.Errorf("fanotify permission group: %w", err)
	}
	tw := &tripwire{fd: fd, paths: map[string]bool{}, self: self}
	for _, p := range paths {
		if err := unix.FanotifyMark(fd, unix.FAN_MARK_ADD, unix.FAN_OPEN_PERM, unix.AT_FDCWD, p); err == nil {
			tw.paths[p] = true
		}
	}
	if backup != nil {
		tw.backup = backup
		for _, d := range dirs {
			_ = unix.FanotifyMark(fd, unix.FAN_MARK_ADD, unix.FAN_OPEN_PERM|unix.FAN_EVENT_ON_CHILD, unix.AT_FDCWD, d)
		}
	}
	if len(tw.paths) == 0 && backup == nil {
		unix.Close(fd)
		return nil, errors.New("no canary could be marked")
	}
	return tw, nil
}

// handle answers every pending permission event and returns the PIDs that
// tried to write a decoy (already frozen) with the decoy path.
func (tw *tripwire) handle(buf []byte) (trips []FileEvent) {
	for {
		n, err := unix.Read(tw.fd, buf)
		if err != nil || n <= 0 {
			return trips
		}
		b := buf[:n]
		for len(b) >= unix.FAN_EVENT_METADATA_LEN {
			evLen := int(binary.NativeEndian.Uint32(b[0:4]))
			if evLen < unix.FAN_EVENT_METADATA_LEN || evLen > len(b) {
				break
			}
			fd := int32(binary.NativeEndian.Uint32(b[16:20]))
			tid := int(int32(binary.NativeEndian.Uint32(b[20:24])))
			pid := tgid(tid)
			b = b[evLen:]
			if fd < 0 {
				continue
			}
			path, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(fd)))
			verdict := uint32(unix.FAN_ALLOW)
			if pid != tw.self && writeIntent(tid) {
				if tw.paths[path] {
					verdict = unix.FAN_DENY
					freezeFamily(pid, tw.self)
					trips = append(trips, FileEvent{Time: time.Now(), PID: pid, Op: OpWrite, Path: path})
				} else if tw.backup != nil {
					// The writer waits in open while the current content is
					// copied, read through the event's own descriptor (opening
					// the path here would wait on this very handler).
					var st unix.Stat_t
					if unix.Fstat(int(fd), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
						_ = tw.backup.PreserveFor(pid, path, preader(fd), st.Size, os.FileMode(st.Mode&0o777),
							time.Unix(st.Mtim.Sec, st.Mtim.Nsec))
					}
				}
			}
			var resp [8]byte
			binary.NativeEndian.PutUint32(resp[0:4], uint32(fd))
			binary.NativeEndian.PutUint32(resp[4:8], verdict)
			_, _ = unix.Write(tw.fd, resp[:])
			unix.Close(int(fd))
		}
	}
}

func (tw *tripwire) close() { unix.Close(tw.fd) }

// freezeFamily stops pid at once, then its same-executable ancestors and
// all their descendants (ransomware that fans out into worker processes),
// so that no sibling keeps encrypting while the shield decides. The shield
// kills or, for a false positive, the operator resumes (SIGCONT).
func freezeFamily(pid, self int) []int {
	if pid <= 1 || pid == self {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGSTOP)
	frozen := []int{pid}
	procs := LinuxProcs{}
	exe := procs.Exe(pid)
	top := pid
	for depth := 0; depth < 4 && exe != ""; depth++ {
		parent := procs.Parent(top)
		if parent <= 1 || parent == self || procs.Exe(parent) != exe {
			break
		}
		top = parent
	}
	if top != pid && top != self {
		_ = syscall.Kill(top, syscall.SIGSTOP)
		frozen = append(frozen, top)
	}
	for _, d := range descendants(top) {
		if d != self && d != pid {
			_ = syscall.Kill(d, syscall.SIGSTOP)
			frozen = append(frozen, d)
		}
	}
	return frozen
}

// tgid returns the process (thread group) of a thread.
func tgid(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return tid
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n
			}
		}
	}
	return tid
}

// Syscall numbers of open-like calls and the index of their flags argument.
var openSyscalls = func() map[int]int {
	switch runtime.GOARCH {
	case "amd64":
		return map[int]int{2: 1, 257: 2, 85: -1} // open, openat, creat (always writes)
	case "386":
		return map[int]int{5: 1, 295: 2, 8: -1}
	default: // arm64, loong64, riscv64 use the generic table
		return map[int]int{56: 2}
	}
}()

// writeIntent reports whether pid is blocked in an open for writing, by
// reading /proc/PID/syscall ("NR arg0 arg1 arg2 ..."). Unknown means no, so
// that a reader is never denied.
func writeIntent(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/syscall")
	if err != nil {
		return false
	}
	return flagsWrite(string(b))
}

func flagsWrite(line string) bool {
	f := strings.Fields(line)
	if len(f) < 4 {
		return false
	}
	nr, err := strconv.Atoi(f[0])
	if err != nil {
		return false
	}
	idx, ok := openSyscalls[nr]
	if !ok {
		return false
	}
	if idx < 0 {
		return true // creat
	}
	if 1+idx >= len(f) {
		return false
	}
	flags, err := strconv.ParseUint(strings.TrimPrefix(f[1+idx], "0x"), 16, 64)
	if err != nil {
		return false
	}
	return flags&unix.O_ACCMODE != unix.O_RDONLY || flags&unix.O_TRUNC != 0
}

// preader reads a raw descriptor at offsets without taking ownership of it.
type preader int32

func (p preader) ReadAt(b []byte, off int64) (int, error) {
	n, err := unix.Pread(int(p), b, off)
	if err != nil {
		return 0, err
	}
	if n == 0 && len(b) > 0 {
		return 0, io.EOF
	}
	return n, nil
}
