package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/storetest"
)

const crashChildEnv = "MEDSHIELD_SQLITE_CRASH_CHILD"

// TestCommittedBatchesSurviveSIGKILL runs a child process that appends
// batches and reports each acknowledged batch, kills it with SIGKILL
// mid-stream, and checks that every acknowledged batch is in the database
// after reopening. The child uses synchronous=NORMAL, the weaker setting:
// in WAL mode it loses nothing on a process crash (only power loss can lose
// the last commits), and FULL only adds fsyncs.
func TestCommittedBatchesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(60 * time.Second)
	for sc.Scan() {
		var n int
		if _, err := fmt.Sscanf(sc.Text(), "acked %d", &n); err == nil {
			acked = n
		}
		if acked >= 30 || time.Now().After(deadline) {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Drain so the child never blocks on a full pipe before dying.
	go func() {
		for sc.Scan() {
		}
	}()
	cmd.Wait()
	if acked < 0 {
		t.Fatal("child acknowledged no batch")
	}

	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	for b := 0; b <= acked; b++ {
		for _, e := range crashBatch(b) {
			n, err := s.CountEvents(ctx, store.EventQuery{Fields: map[string]string{"event.id": e.ID}, HostID: e.HostID})
			if err != nil || n != 1 {
				t.Fatalf("acknowledged batch %d: event %s count %d (%v)", b, e.ID, n, err)
			}
		}
	}
	total, err := s.CountEvents(ctx, store.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if total%100 != 0 || total < int64(acked+1)*100 {
		t.Fatalf("%d events stored after %d acknowledged batches of 100: a batch was partly stored or lost", total, acked+1)
	}
	t.Logf("killed after %d acknowledged batches; %d events stored", acked+1, total)
}

// crashBatch is batch b of the child, deterministic so the parent can
// check it.
func crashBatch(b int) []event.Event {
	evs := storetest.GenEvents(uint64(1000+b), 100)
	for i := range evs {
		evs[i].HostID = "crash-" + strconv.Itoa(b)
	}
	return evs
}

// TestCrashChild is the child side; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("child of TestCommittedBatchesSurviveSIGKILL only")
	}
	s, err := Open(context.Background(), path, Options{Synchronous: SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; ; b++ {
		if _, err := s.AppendEvents(context.Background(), crashBatch(b)); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("acked %d\n", b)
	}
}
