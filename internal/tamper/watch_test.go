package tamper

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestWatcherReportsChangesToProtectedFiles(t *testing.T) {
	root := t.TempDir()
	state := filepath.Join(root, "state")
	os.MkdirAll(filepath.Join(state, "spool"), 0o700)
	key := filepath.Join(state, "agent.key")
	os.WriteFile(key, []byte("k"), 0o600)
	bindir := filepath.Join(root, "bin")
	os.Mkdir(bindir, 0o755)
	bin := filepath.Join(bindir, "medshield")
	os.WriteFile(bin, []byte("b"), 0o755)

	got := make(chan Attempt, 100)
	w := &Watcher{Dirs: []string{state}, Files: []string{bin}, Ignore: []string{"spool/**", "*.tmp"},
		Repair: &Policy{Owner: -1}, Report: func(a Attempt) { got <- a }}
	ready := make(chan struct{})
	w.Ready = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	<-ready

	expect := func(path, op string) {
		t.Helper()
		deadline := time.After(3 * time.Second)
		for {
			select {
			case a := <-got:
				if a.Path == path && a.Op == op {
					return
				}
			case <-deadline:
				t.Fatalf("no %s attempt on %s", op, path)
			}
		}
	}
	quiet := func() {
		t.Helper()
		select {
		case a := <-got:
			t.Fatalf("unexpected attempt %+v", a)
		case <-time.After(300 * time.Millisecond):
		}
	}

	// The agent's own spool and temporary files are not attempts.
	os.WriteFile(filepath.Join(state, "spool", "0001"), []byte("e"), 0o600)
	os.WriteFile(filepath.Join(state, "x.tmp"), []byte("e"), 0o600)
	os.WriteFile(filepath.Join(bindir, "other-tool"), []byte("e"), 0o755) // not protected
	quiet()

	os.WriteFile(key, []byte("attacker"), 0o600)
	expect(key, OpWrite)
	os.Chmod(key, 0o666)
	expect(key, OpChmod)
	if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after chmod attempt %04o, want repaired to 0600", fi.Mode().Perm())
	}
	os.Mkdir(filepath.Join(state, "newdir"), 0o755)
	expect(filepath.Join(state, "newdir"), OpCreate)
	inner := filepath.Join(state, "newdir", "planted")
	os.WriteFile(inner, []byte("x"), 0o644) // before or after the new watch: seen either way
	expect(inner, OpCreate)
	// A directory created with content at once (mkdir -p a/b; touch a/b/f).
	nested := filepath.Join(state, "n1", "n2", "f")
	os.MkdirAll(filepath.Dir(nested), 0o700)
	os.WriteFile(nested, []byte("x"), 0o600)
	expect(nested, OpCreate)
	os.Remove(key)
	expect(key, OpRemove)
	// Replacing the binary by rename is seen through its directory.
	os.WriteFile(bin+".new", []byte("trojan"), 0o755)
	os.Rename(bin+".new", bin)
	expect(bin, OpCreate)

	ev := Attempt{Path: key, Op: OpRemove, Time: time.Now()}.Event()
	if err := ev.Validate(); err != nil || ev.Kind != "alert" || ev.File.Path != key {
		t.Fatalf("event %+v: %v", ev, err)
	}
}

func TestWatcherRejectsBadSetup(t *testing.T) {
	for _, w := range []*Watcher{
		{Dirs: []string{filepath.Join(t.TempDir(), "missing")}},
		{Dirs: []string{t.TempDir()}, Ignore: []string{"[x"}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := w.Run(ctx)
		cancel()
		if err == nil {
			t.Errorf("Run(%+v) succeeded", w)
		}
	}
}

func TestWatcherLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	w := &Watcher{Dirs: []string{t.TempDir()}, Report: func(Attempt) {}}
	go func() { done <- w.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Run returned, %d before", n, before)
	}
}
