package scansched

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// threadNiceAndIOClass reads the calling thread's nice value and I/O class.
func threadNiceAndIOClass(t *testing.T) (int, int) {
	tid := unix.Gettid()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the parenthesised command; nice is field 19 overall.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	nice, _ := strconv.Atoi(f[16])
	const ioprioGet = unix.SYS_IOPRIO_GET
	r, _, e := unix.Syscall(ioprioGet, ioprioWhoProcess, uintptr(tid), 0)
	if e != 0 {
		t.Fatal(e)
	}
	return nice, int(r >> ioprioClassShift)
}

func TestWorkerThreadRunsAtLowPriority(t *testing.T) {
	svc, _ := New(Config{}, newFake("v"), Callbacks{}, nil)
	type result struct{ nice, class int }
	ch := make(chan result)
	go func() {
		svc.lockLowPriority() // the goroutine exits locked: the thread dies with it
		n, c := threadNiceAndIOClass(t)
		ch <- result{n, c}
	}()
	got := <-ch
	if got.nice != DefaultNice || got.class != ioprioClassIdle {
		t.Fatalf("worker thread nice %d, I/O class %d; want %d, %d (idle)", got.nice, got.class, DefaultNice, ioprioClassIdle)
	}
	// Other threads are untouched.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if n, c := threadNiceAndIOClass(t); n == DefaultNice || c == ioprioClassIdle {
		t.Fatalf("test thread changed too: nice %d, class %d", n, c)
	}
}
