package scansched

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestOnAccessDetectsNewFileWithinBound(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	col := newCollector()
	fake := newFake("v")
	svc, err := New(Config{OnAccess: OnAccessConfig{Paths: []string{root}, Debounce: 100 * time.Millisecond, Exclude: Globs{"*.part"}}},
		fake, col.callbacks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()
	waitReady(t, svc)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	const bound = 3 * time.Second
	for _, tc := range []struct {
		name   string
		path   string
		data   string
		detect bool
	}{
		{"exe in watched dir", "dropper.exe", "MZ" + marker, true},
		{"script in subdir", "sub/run.ps1", marker, true},
		{"dir created after start", "newdir/inner/payload.dll", marker, true},
		{"no extension but ELF magic", "sub/payload", "\x7fELF" + marker, true},
		{"text file is not interesting", "readme.txt", marker, false},
		{"excluded glob", "download.part", marker, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(root, filepath.FromSlash(tc.path))
			os.MkdirAll(filepath.Dir(p), 0o755)
			start := time.Now()
			// Written in pieces, as a copy would: one scan, of the whole file.
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(tc.data); i += 4 {
				f.WriteString(tc.data[i:min(i+4, len(tc.data))])
				time.Sleep(5 * time.Millisecond)
			}
			f.Close()
			wait := bound
			if !tc.detect {
				wait = 600 * time.Millisecond
			}
			select {
			case got := <-col.found:
				if !tc.detect {
					t.Fatalf("unexpected finding %s", got.Path)
				}
				if got.Path != p || got.Source != SourceOnAccess || len(got.Detections) != 1 {
					t.Fatalf("finding %+v", got)
				}
				t.Logf("detected after %s", time.Since(start).Round(time.Millisecond))
			case <-time.After(wait):
				if tc.detect {
					t.Fatalf("no detection within %s", bound)
				}
			}
			if n := fake.times(p); tc.detect && n != 1 {
				t.Fatalf("scanned %d times, want once", n)
			}
		})
	}
	if st := svc.OnAccessStats(); st.Excluded < 2 || st.Detected != 4 {
		t.Fatalf("on-access stats %+v", st)
	}
}

func TestQueueDeduplicatesAndBounds(t *testing.T) {
	q := newQueue(3)
	for _, p := range []string{"a", "b", "a", "c", "b"} {
		if !q.push(p) {
			t.Fatalf("push %q refused", p)
		}
	}
	if q.Len() != 3 {
		t.Fatalf("len %d, want 3", q.Len())
	}
	if q.push("d") {
		t.Fatal("push into a full queue accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	for _, want := range []string{"a", "b", "c"} {
		if got, ok := q.pop(ctx); !ok || got != want {
			t.Fatalf("pop = %q, %v; want %q", got, ok, want)
		}
	}
	q.push("a") // no longer queued: accepted again
	if got, _ := q.pop(ctx); got != "a" {
		t.Fatalf("pop = %q", got)
	}
	cancel()
	if _, ok := q.pop(ctx); ok {
		t.Fatal("pop on an empty queue with a cancelled context returned a path")
	}
}

func TestInteresting(t *testing.T) {
	for _, tc := range []struct {
		name string
		head string
		want bool
	}{
		{"a.EXE", "", true}, {"b.docm", "", true}, {"c.pdf", "", true}, {"run.sh", "", true},
		{"x", "MZ\x90\x00", true}, {"x", "\x7fELF\x02", true}, {"x", "#!/bin/sh", true},
		{"x", "PK\x03\x04", true}, {"x", "\xd0\xcf\x11\xe0\xa1\xb1", true}, {"x", "%PDF-1.4", true},
		{"notes.txt", "hello", false}, {"photo.jpg", "\xff\xd8\xff", false}, {"x", "", false}, {"x", "M", false},
	} {
		if got := Interesting(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("Interesting(%q, %q) = %v, want %v", tc.name, tc.head, got, tc.want)
		}
	}
}

func TestGlobs(t *testing.T) {
	for _, tc := range []struct {
		globs Globs
		path  string
		want  bool
	}{
		{Globs{"*.tmp"}, "/a/b/c.tmp", true},
		{Globs{"*.tmp"}, "/a/b.tmp/c", false},
		{Globs{"/a/*/c"}, "/a/b/c", true},
		{Globs{"/a/*/c"}, "/a/b/x/c", false},
		{Globs{"/a/**/c"}, "/a/b/x/c", true},
		{Globs{"/a/**/c"}, "/a/c", true},
		{Globs{"**/node_modules/**"}, "/srv/app/node_modules", true},
		{Globs{"**/node_modules/**"}, "/srv/app/node_modules/x/y.js", true},
		{Globs{"**/node_modules/**"}, "/srv/app/node_modulesx/y.js", false},
		{Globs{"/home/*/.cache"}, "/home/ann/.cache", true},
		{Globs{"/home/*/.cache"}, "/home/ann/.cache/x", false},
		{Globs{"/home/*/.cache/**"}, "/home/ann/.cache/x", true},
		{nil, "/x", false},
	} {
		if got := tc.globs.Match(tc.path); got != tc.want {
			t.Errorf("%v.Match(%q) = %v, want %v", tc.globs, tc.path, got, tc.want)
		}
	}
	if err := (Globs{"[a-"}).check(); err == nil {
		t.Error("bad glob accepted")
	}
	if _, err := New(Config{Scans: []ScanConfig{{Name: "x", Paths: []string{"/"}, Exclude: Globs{"a/[b"}}}}, newFake(""), Callbacks{}, nil); err == nil {
		t.Error("New accepted a bad exclude glob")
	}
}

func TestRunStartsDueScheduledScanAndRecordsIt(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"x.exe": marker})
	cachePath := filepath.Join(t.TempDir(), "cache")
	sums := make(chan Summary, 1)
	svc, err := New(Config{CachePath: cachePath, Scans: []ScanConfig{{Name: "hourly", Schedule: "every 6 hours", Paths: []string{root}}}},
		newFake("v"), Callbacks{Summary: func(s Summary) { sums <- s }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()
	waitReady(t, svc)
	var s Summary
	select {
	case s = <-sums: // never ran: due at once
	case <-time.After(5 * time.Second):
		t.Fatal("scheduled scan did not start")
	}
	cancel()
	<-done
	if s.Source != SourceScheduled || s.Name != "hourly" || s.Stats.Detected != 1 {
		t.Fatalf("summary %+v", s)
	}
	c, _ := OpenCache(cachePath, 0, "v")
	if last := c.LastRun("hourly"); last.IsZero() || time.Since(last) > time.Minute {
		t.Fatalf("last run not persisted: %v", last)
	}
}

func TestOnAccessBoundsPendingFilesInAWriteStorm(t *testing.T) {
	root := t.TempDir()
	col := newCollector()
	svc, err := New(Config{OnAccess: OnAccessConfig{Paths: []string{root}, Debounce: time.Hour, QueueSize: 5}}, newFake("v"), col.callbacks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()
	waitReady(t, svc)
	for i := 0; i < 60; i++ {
		os.WriteFile(filepath.Join(root, fmt.Sprintf("f%02d.exe", i)), []byte("MZ"), 0o644)
	}
	deadline := time.Now().Add(3 * time.Second)
	for svc.OnAccessStats().Dropped < int64(60-maxPending(OnAccessConfig{QueueSize: 5})) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	// 20 pending allowed (4 × queue size); the events of the other 40 files
	// (a create and a write each) are dropped and counted; a scheduled scan
	// picks those files up.
	if got := svc.OnAccessStats().Dropped; got < 40 || got > 80 {
		t.Fatalf("dropped %d, want 40 to 80", got)
	}
}

func TestRunLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	root := t.TempDir()
	svc, err := New(Config{OnAccess: OnAccessConfig{Paths: []string{root}},
		Scans: []ScanConfig{{Name: "s", Schedule: "every 1 hours", Paths: []string{root}}}}, newFake("v"), Callbacks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()
	waitReady(t, svc)
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	for i := 0; i < 50 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Run returned, %d before", n, before)
	}
}

func TestInterruptedScheduledScanIsNotARun(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"big.bin": strings.Repeat("x", 1<<20)})
	cachePath := filepath.Join(t.TempDir(), "cache")
	started := make(chan struct{}, 1)
	svc, err := New(Config{CachePath: cachePath, BytesPerSecond: 64 << 10, ProgressInterval: time.Millisecond,
		Scans: []ScanConfig{{Name: "nightly", Schedule: "every 6 hours", Paths: []string{root}}}},
		newFake("v"), Callbacks{Progress: func(Progress) {
			select {
			case started <- struct{}{}:
			default:
			}
		}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()
	waitReady(t, svc)
	select { // the scan is running; big.bin takes 16 s at 64 KiB/s
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("scheduled scan did not start")
	}
	cancel()
	<-done
	c, _ := OpenCache(cachePath, 0, "v")
	if last := c.LastRun("nightly"); !last.IsZero() {
		t.Fatalf("interrupted scan recorded as a run at %v", last)
	}
}

func waitReady(t *testing.T, svc *Service) {
	t.Helper()
	select {
	case <-svc.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("service not ready")
	}
}
