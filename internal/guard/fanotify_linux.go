//go:build linux

package guard

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Fanotify is the Linux activity source. It uses fanotify in "directory
// file handle + name" mode (Linux 5.9+), which reports create, delete,
// rename and close-after-write with the acting PID, and marks every
// directory of the protected folders (new subdirectories are marked as they
// appear). A filesystem mark on "/" reports program starts (FAN_OPEN_EXEC)
// so that recovery-inhibition commands are seen. It needs CAP_SYS_ADMIN and
// CAP_DAC_READ_SEARCH (root).
type Fanotify struct {
	Protect []string
	Logger  *slog.Logger
	// MaxDirs bounds the directories marked (default 100,000).
	MaxDirs int

	// Canaries are guarded with permission events (see tripwire).
	Canaries []string
	// Backup, when set, receives a copy of every protected file before its
	// first write (permission gate on the protected directories).
	Backup *Backup
	// FastCheck, when set, runs on the reader thread for every event before
	// it is queued (the shield freezes suspicious writers there).
	FastCheck func(FileEvent)

	fd        int
	trip      *tripwire
	canarySet map[string]bool
	mounts    map[[2]int32]int // fsid → directory fd for open_by_handle_at
	marked    map[string]bool
	readBuf   []byte
}

// Attributed implements Source: fanotify events carry the PID.
func (f *Fanotify) Attributed() bool { return true }

const dirMask = unix.FAN_CREATE | unix.FAN_DELETE | unix.FAN_MOVED_FROM | unix.FAN_MOVED_TO | unix.FAN_CLOSE_WRITE | unix.FAN_ONDIR | unix.FAN_EVENT_ON_CHILD

// Init opens the fanotify group and marks the protected folders. Call it
// before Run (and before creating files that must be watched).
func (f *Fanotify) Init() error {
	if f.Logger == nil {
		f.Logger = slog.New(slog.DiscardHandler)
	}
	if f.MaxDirs == 0 {
		f.MaxDirs = 100000
	}
	fd, err := unix.FanotifyInit(unix.FAN_CLASS_NOTIF|unix.FAN_CLOEXEC|unix.FAN_NONBLOCK|unix.FAN_REPORT_DFID_NAME, unix.O_RDONLY|unix.O_LARGEFILE)
	if err != nil {
		return fmt.Errorf("fanotify_init: %w (needs root and Linux 5.9+)", err)
	}
	f.fd = fd
	f.mounts = map[[2]int32]int{}
	f.marked = map[string]bool{}
	f.readBuf = make([]byte, 64<<10)
	for _, root := range f.Protect {
		if err := f.markTree(root); err != nil {
			f.Close()
			return err
		}
	}
	// Program starts anywhere on the root filesystem.
	if err := unix.FanotifyMark(fd, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, unix.FAN_OPEN_EXEC, unix.AT_FDCWD, "/"); err != nil {
		f.Logger.Warn("fanotify: program starts not watched", "err", err)
	} else if err := f.addMount("/"); err != nil {
		f.Logger.Warn("fanotify: program starts not resolvable", "err", err)
	}
	return nil
}

func (f *Fanotify) markTree(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return fmt.Errorf("protect %s: %w", root, err)
			}
			return nil
		}
		if d.IsDir() {
			if err := f.markDir(path); err != nil && path == root {
				return err
			}
		}
		return nil
	})
}

func (f *Fanotify) markDir(dir string) error {
	if f.marked[dir] || len(f.marked) >= f.MaxDirs {
		return nil
	}
	if err := unix.FanotifyMark(f.fd, unix.FAN_MARK_ADD, dirMask, unix.AT_FDCWD, dir); err != nil {
		return fmt.Errorf("fanotify_mark %s: %w", dir, err)
	}
	f.marked[dir] = true
	return f.addMount(dir)
}

// addMount remembers a directory fd per filesystem id, needed to turn file
// handles back into paths.
func (f *Fanotify) addMount(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return err
	}
	key := [2]int32{st.Fsid.Val[0], st.Fsid.Val[1]}
	if _, ok := f.mounts[key]; ok {
		return nil
	}
	mfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f.mounts[key] = mfd
	return nil
}

// Close releases the group.
func (f *Fanotify) Close() error {
	for _, m := range f.mounts {
		unix.Close(m)
	}
	f.mounts = nil
	if f.fd > 0 {
		err := unix.Close(f.fd)
		f.fd = 0
		return err
	}
	return nil
}

// Run reads events until ctx ends.
func (f *Fanotify) Run(ctx context.Context, out chan<- FileEvent) error {
	// Program starts are resolved off the read loop (the command line needs
	// a short wait), at most 16 at a time; Run waits for them before closing
	// out.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	defer close(out)
	defer wg.Wait()
	if f.fd == 0 {
		if err := f.Init(); err != nil {
			return err
		}
	}
	defer f.Close()
	if f.trip == nil && len(f.Canaries) > 0 {
		f.Arm(f.Canaries)
	}
	if f.trip != nil {
		defer f.trip.close()
		// Permission events get their own thread: the reader thread opens
		// protected files (fast check), and those opens wait on this gate.
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.tripLoop(ctx, out)
		}()
	}
	// The reader runs on its own thread at a higher priority so that the
	// canary verdicts and events keep up on a loaded workstation.
	runtime.LockOSThread()
	_ = unix.Setpriority(unix.PRIO_PROCESS, 0, -10)
	pfd := []unix.PollFd{{Fd: int32(f.fd), Events: unix.POLLIN}}
	self := os.Getpid()
	for ctx.Err() == nil {
		n, err := unix.Poll(pfd, 200)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("poll fanotify: %w", err)
		}
		if n <= 0 {
			continue
		}
		for {
			m, err := unix.Read(f.fd, f.readBuf)
			if errors.Is(err, unix.EAGAIN) || m <= 0 {
				break
			}
			if err != nil {
				return fmt.Errorf("read fanotify: %w", err)
			}
			for _, ev := range f.parse(f.readBuf[:m]) {
				// Decoys deleted, renamed or replaced by NAME.ext: freeze the
				// actor here on the reader thread, before the event queues.
				if c := f.canaryTouched(ev); c != "" {
					freezeFamily(ev.PID, self)
					trip := FileEvent{Time: ev.Time, PID: ev.PID, Op: OpWrite, Path: c}
					select {
					case out <- trip:
					case <-ctx.Done():
						return nil
					}
				}
				if f.FastCheck != nil {
					f.FastCheck(ev)
				}
				if ev.Op == OpExec {
					select {
					case sem <- struct{}{}:
						wg.Add(1)
						go func(ev FileEvent) {
							defer wg.Done()
							defer func() { <-sem }()
							ev.Cmdline = execCmdline(ev.PID, ev.Path)
							select {
							case out <- ev:
							case <-ctx.Done():
							}
						}(ev)
					default: // too many at once: drop rather than stall file events
					}
					continue
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return nil
				}
			}
		}
	}
	return nil
}

// parse decodes a buffer of fanotify events (metadata + info records).
func (f *Fanotify) parse(buf []byte) []FileEvent {
	var out []FileEvent
	now := time.Now()
	for len(buf) >= unix.FAN_EVENT_METADATA_LEN {
		evLen := int(binary.NativeEndian.Uint32(buf[0:4]))
		metaLen := int(binary.NativeEndian.Uint16(buf[6:8]))
		if evLen < metaLen || evLen > len(buf) || metaLen < unix.FAN_EVENT_METADATA_LEN {
			break
		}
		mask := binary.NativeEndian.Uint64(buf[8:16])
		fd := int32(binary.NativeEndian.Uint32(buf[16:20]))
		pid := int(int32(binary.NativeEndian.Uint32(buf[20:24])))
		if fd >= 0 {
			unix.Close(int(fd))
		}
		path := f.infoPath(buf[metaLen:evLen])
		buf = buf[evLen:]
		if path == "" {
			continue
		}
		isDir := mask&unix.FAN_ONDIR != 0
		add := func(op Op) { out = append(out, FileEvent{Time: now, PID: pid, Op: op, Path: path}) }
		switch {
		case mask&unix.FAN_OPEN_EXEC != 0:
			out = append(out, FileEvent{Time: now, PID: pid, Op: OpExec, Path: path})
		case isDir:
			if mask&(unix.FAN_CREATE|unix.FAN_MOVED_TO) != 0 {
				_ = f.markTree(path) // watch new subdirectories too
			}
		default:
			if mask&unix.FAN_CREATE != 0 {
				add(OpCreate)
			}
			if mask&unix.FAN_MOVED_FROM != 0 {
				add(OpRenameFrom)
			}
			if mask&unix.FAN_MOVED_TO != 0 {
				add(OpRenameTo)
			}
			if mask&unix.FAN_CLOSE_WRITE != 0 {
				add(OpWrite)
			}
			if mask&unix.FAN_DELETE != 0 {
				add(OpDelete)
			}
		}
	}
	return out
}

// infoPath resolves the DFID_NAME info record to a path.
func (f *Fanotify) infoPath(info []byte) string {
	for len(info) >= 4 {
		typ, ln := info[0], int(binary.NativeEndian.Uint16(info[2:4]))
		if ln < 4 || ln > len(info) {
			return ""
		}
		rec := info[4:ln]
		info = info[ln:]
		if typ != unix.FAN_EVENT_INFO_TYPE_DFID_NAME && typ != unix.FAN_EVENT_INFO_TYPE_DFID && typ != unix.FAN_EVENT_INFO_TYPE_FID {
			continue
		}
		if len(rec) < 16 {
			return ""
		}
		fsid := [2]int32{int32(binary.NativeEndian.Uint32(rec[0:4])), int32(binary.NativeEndian.Uint32(rec[4:8]))}
		hbytes := int(binary.NativeEndian.Uint32(rec[8:12]))
		htype := int32(binary.NativeEndian.Uint32(rec[12:16]))
		if hbytes < 0 || 16+hbytes > len(rec) {
			return ""
		}
		handle := rec[16 : 16+hbytes]
		name := ""
		if typ == unix.FAN_EVENT_INFO_TYPE_DFID_NAME {
			rest := rec[16+hbytes:]
			if i := indexZero(rest); i >= 0 {
				name = string(rest[:i])
			}
		}
		mfd, ok := f.mounts[fsid]
		if !ok {
			return ""
		}
		dfd, err := unix.OpenByHandleAt(mfd, unix.NewFileHandle(htype, handle), unix.O_PATH|unix.O_CLOEXEC)
		if err != nil {
			return ""
		}
		dir, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(dfd))
		unix.Close(dfd)
		if err != nil {
			return ""
		}
		if name == "" || name == "." {
			return dir
		}
		return filepath.Join(dir, name)
	}
	return ""
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// execCmdline reads the new program's command line. At FAN_OPEN_EXEC time
// the process may still show its parent's image, so wait briefly until argv
// names the executed file.
func execCmdline(pid int, exe string) string {
	base := filepath.Base(exe)
	var last string
	for i := 0; i < 20; i++ {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			return last
		}
		last = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		if argv0, _, _ := strings.Cut(last, " "); filepath.Base(argv0) == base || strings.Contains(last, base) {
			return last
		}
		time.Sleep(time.Millisecond)
	}
	return last
}

// tripLoop answers permission events (decoys, backups) until ctx ends.
func (f *Fanotify) tripLoop(ctx context.Context, out chan<- FileEvent) {
	runtime.LockOSThread()
	_ = unix.Setpriority(unix.PRIO_PROCESS, 0, -10)
	buf := make([]byte, 8192)
	pfd := []unix.PollFd{{Fd: int32(f.trip.fd), Events: unix.POLLIN}}
	for ctx.Err() == nil {
		n, err := unix.Poll(pfd, 200)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		if n <= 0 {
			continue
		}
		if pfd[0].Revents&(unix.POLLNVAL|unix.POLLERR) != 0 {
			return
		}
		for _, ev := range f.trip.handle(buf) {
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}
}

// Arm guards the decoys at once (before Run starts reading), so that the
// shield is protecting them when it reports ready.
func (f *Fanotify) Arm(canaries []string) {
	f.Canaries = canaries
	f.canarySet = make(map[string]bool, len(canaries))
	for _, c := range canaries {
		f.canarySet[c] = true
	}
	if (len(canaries) == 0 && f.Backup == nil) || f.trip != nil {
		return
	}
	var dirs []string
	for d := range f.marked {
		dirs = append(dirs, d)
	}
	tw, err := newTripwire(canaries, os.Getpid(), dirs, f.Backup)
	if err != nil {
		f.Logger.Warn("canary tripwire unavailable; canaries still score on write", "err", err)
		return
	}
	f.trip = tw
}

// canaryTouched returns the decoy an event destroys: writing or renaming
// it, or creating DECOY.ext (an encrypted copy) next to it. Deleting a decoy
// alone is left to the shield's scoring, because deleting a whole folder
// (which a user may do) deletes its decoys too.
func (f *Fanotify) canaryTouched(ev FileEvent) string {
	if ev.PID <= 0 || len(f.canarySet) == 0 {
		return ""
	}
	switch ev.Op {
	case OpRenameFrom, OpWrite:
		if f.canarySet[ev.Path] {
			return ev.Path
		}
	case OpCreate, OpRenameTo:
		if ext := filepath.Ext(ev.Path); ext != "" {
			if c := strings.TrimSuffix(ev.Path, ext); f.canarySet[c] {
				return c
			}
		}
	}
	return ""
}
