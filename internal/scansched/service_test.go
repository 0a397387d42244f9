package scansched

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScheduledScanFindsMarkedFilesAndHonoursFilters(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"a/evil.exe":                   "MZ..." + marker,
		"a/clean.exe":                  "MZ clean",
		"a/b/deep/evil.ps1":            "Write-Host " + marker,
		"a/notes.txt":                  "text " + marker,
		"cache/evil.bin":               marker, // excluded dir
		"a/skip.tmp":                   marker, // excluded by name
		"a/node_modules/x/evil.js":     marker, // excluded by ** glob
		"big/huge.dll":                 strings.Repeat("x", 2000) + marker,
		"a/b/c/d/e/f/g/h/deeper.docm":  marker,
		"a/b/c/d/e/f/g/h/harmless.pdf": "%PDF-1.7",
	})
	for _, tc := range []struct {
		name    string
		include Globs
		exclude Globs
		want    []string
	}{
		{"excludes", nil, Globs{"*.tmp", filepath.ToSlash(root) + "/cache", "**/node_modules/**"},
			[]string{"a/b/c/d/e/f/g/h/deeper.docm", "a/b/deep/evil.ps1", "a/evil.exe", "a/notes.txt"}},
		{"include executables", Globs{"*.exe", "*.dll", "*.ps1"}, nil,
			[]string{"a/b/deep/evil.ps1", "a/evil.exe"}},
		{"path glob", Globs{"**/deep/*"}, nil, []string{"a/b/deep/evil.ps1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			col := newCollector()
			svc, err := New(Config{MaxFileSize: 1000, BytesPerSecond: -1}, newFake("v1"), col.callbacks(), nil)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := svc.ScanPaths(context.Background(), ScanConfig{Name: "t", Paths: []string{root}, Include: tc.include, Exclude: tc.exclude}, SourceOnDemand)
			if err != nil {
				t.Fatal(err)
			}
			if got := col.detected(t, root); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("detected %v, want %v", got, tc.want)
			}
			if sum.Stats.Detected != int64(len(tc.want)) || len(col.summaries) != 1 || col.summaries[0].ScanID != sum.ScanID {
				t.Fatalf("summary %+v, %d summaries", sum, len(col.summaries))
			}
			if tc.include == nil && sum.Stats.TooLarge != 1 {
				t.Fatalf("too large = %d, want 1 (big/huge.dll)", sum.Stats.TooLarge)
			}
			f := col.findings[0]
			if f.Source != SourceOnDemand || len(f.SHA256) != 64 || f.Detections[0].Rule != "Test_Marker" {
				t.Fatalf("finding %+v", f)
			}
		})
	}
}

func TestCacheSkipsUnchangedFilesAcrossRestart(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{"one.exe": "MZ one", "two.dll": "MZ two", "three.pdf": "%PDF three", "bad.exe": "MZ " + marker}
	writeTree(t, root, files)
	cachePath := filepath.Join(t.TempDir(), "scan.cache")
	scan := func(version string) (Stats, *fakeScanner, int) {
		t.Helper()
		fake := newFake(version)
		col := newCollector()
		svc, err := New(Config{CachePath: cachePath, BytesPerSecond: -1}, fake, col.callbacks(), nil)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := svc.ScanPaths(context.Background(), ScanConfig{Name: "t", Paths: []string{root}}, SourceScheduled)
		if err != nil {
			t.Fatal(err)
		}
		return sum.Stats, fake, len(col.detected(t, root))
	}
	st, fake, det := scan("v1")
	if st.Scanned != 4 || st.Cached != 0 || det != 1 || fake.count() != 4 {
		t.Fatalf("first scan: %+v, detections %d", st, det)
	}
	// A new Service (a restart) reads the cache: clean files are skipped
	// without reading; the detected file is scanned and reported again.
	st, _, det = scan("v1")
	if st.Scanned != 1 || st.Cached != 3 || det != 1 || st.Bytes != int64(len(files["bad.exe"])) {
		t.Fatalf("after restart: %+v, detections %d", st, det)
	}
	// Changed content is rescanned.
	if err := os.WriteFile(filepath.Join(root, "two.dll"), []byte("MZ two, patched "+marker), 0o644); err != nil {
		t.Fatal(err)
	}
	st, fake, det = scan("v1")
	if st.Scanned != 2 || st.Cached != 2 || det != 2 || fake.times(filepath.Join(root, "two.dll")) != 1 {
		t.Fatalf("after change: %+v, detections %d, scanned %v", st, det, fake.scanned)
	}
	// Same size, same mtime, different content: ctime still differs.
	p := filepath.Join(root, "one.exe")
	fi, _ := os.Stat(p)
	os.WriteFile(p, []byte("MZ ONE"), 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	st, _, _ = scan("v1")
	if st.Scanned != 3 || st.Cached != 1 {
		t.Fatalf("after touch -d: %+v, want one.exe rescanned", st)
	}
	// A copy of a clean file: read (to hash) but not scanned.
	os.WriteFile(filepath.Join(root, "copy.exe"), []byte(files["three.pdf"]), 0o644)
	st, fake, _ = scan("v1")
	if st.Scanned != 2 || st.Cached != 3 || fake.times(filepath.Join(root, "copy.exe")) != 0 {
		t.Fatalf("after copy: %+v, scanned %v", st, fake.scanned)
	}
	// A new rule set invalidates everything (copy.exe and three.pdf share
	// content, so whichever comes second is a hash hit of this same run).
	st, _, _ = scan("v2")
	if st.Scanned != 4 || st.Cached != 1 {
		t.Fatalf("after rules change: %+v", st)
	}
}

func TestCacheSurvivesCorruptionAndStaysBounded(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c")
	c, err := OpenCache(p, 20, "r1")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		var sum [32]byte
		sum[0], sum[1] = byte(i), 1
		c.putClean(&fileID{Ino: uint64(i)}, sum)
	}
	if h, ids := c.Len(); h > 20 || ids > 20 || h < 15 {
		t.Fatalf("bounded cache holds %d hashes, %d ids; want 15..20", h, ids)
	}
	c.SetLastRun("nightly", time.Unix(1700000000, 0))
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	// The newest entry survived eviction.
	var newest [32]byte
	newest[0], newest[1] = 49, 1
	data, _ := os.ReadFile(p)
	// A torn or garbage tail (not possible with rename, but tolerated) and a
	// stray temporary file from a crash mid-save.
	os.WriteFile(p, append(data, []byte("{\"h\":\"zz\"\n{garbage\n")...), 0o600)
	os.WriteFile(p+".tmp123", []byte("partial"), 0o600)
	c2, err := OpenCache(p, 20, "r1")
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := c.Len()
	if h2, _ := c2.Len(); h2 != h1 || !c2.cleanID(fileID{Ino: 49}) || !c2.cleanHash(newest) {
		t.Fatalf("reloaded %d hashes (want %d), newest present %v", h2, h1, c2.cleanHash(newest))
	}
	if !c2.LastRun("nightly").Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("last run %v", c2.LastRun("nightly"))
	}
	// Other rules: verdicts dropped, last runs kept.
	c3, _ := OpenCache(p, 20, "r2")
	if h, _ := c3.Len(); h != 0 || c3.LastRun("nightly").IsZero() {
		t.Fatalf("rules change kept %d hashes / lost last run", h)
	}
	// Garbage header: empty cache, no error.
	os.WriteFile(p, []byte("\x00\x01not json"), 0o600)
	if c4, err := OpenCache(p, 20, "r1"); err != nil || func() bool { h, _ := c4.Len(); return h != 0 }() {
		t.Fatalf("garbage file: %v", err)
	}
}

func TestSymlinkPolicy(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	writeTree(t, root, map[string]string{"in.exe": marker})
	writeTree(t, outside, map[string]string{"out.exe": marker})
	os.Symlink(outside, filepath.Join(root, "linkdir"))
	os.Symlink(filepath.Join(outside, "out.exe"), filepath.Join(root, "link.exe"))
	os.Symlink(root, filepath.Join(root, "loop")) // a loop back to the root
	for _, follow := range []bool{false, true} {
		col := newCollector()
		svc, _ := New(Config{BytesPerSecond: -1}, newFake("v"), col.callbacks(), nil)
		sum, _ := svc.ScanPaths(context.Background(), ScanConfig{Name: "t", Paths: []string{root}, FollowSymlinks: follow}, SourceOnDemand)
		want := []string{"in.exe"}
		if follow {
			want = []string{"in.exe", "link.exe", "linkdir/out.exe"}
		}
		if got := col.detected(t, root); !reflect.DeepEqual(got, want) {
			t.Errorf("follow=%v: detected %v, want %v (stats %+v)", follow, got, want, sum.Stats)
		}
	}
}

func TestScanCancelled(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 20; i++ {
		writeTree(t, root, map[string]string{filepath.Join("d", strings.Repeat("x", i+1)): strings.Repeat("a", 64<<10)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	col := newCollector()
	svc, _ := New(Config{BytesPerSecond: 256 << 10}, newFake("v"), col.callbacks(), nil)
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	sum, _ := svc.ScanPaths(ctx, ScanConfig{Name: "t", Paths: []string{root}}, SourceOnDemand)
	if !sum.Cancelled || time.Since(start) > 2*time.Second || sum.Stats.Scanned >= 20 {
		t.Fatalf("cancelled=%v after %s, stats %+v", sum.Cancelled, time.Since(start), sum.Stats)
	}
}

func TestWalkDepthIsBounded(t *testing.T) {
	root := t.TempDir()
	deep := root
	for i := 0; i < maxDepth+5; i++ {
		deep = filepath.Join(deep, "d")
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Skip("cannot create a deep tree here:", err)
	}
	os.WriteFile(filepath.Join(root, "d", "shallow.exe"), []byte(marker), 0o644)
	os.WriteFile(filepath.Join(deep, "deep.exe"), []byte(marker), 0o644)
	col := newCollector()
	svc, _ := New(Config{BytesPerSecond: -1}, newFake("v"), col.callbacks(), nil)
	sum, _ := svc.ScanPaths(context.Background(), ScanConfig{Paths: []string{root}}, SourceOnDemand)
	if sum.Stats.Detected != 1 || sum.Stats.WalkErrors != 1 {
		t.Fatalf("stats %+v: want the shallow file found and one walk error for the depth limit", sum.Stats)
	}
}

type panicky struct{}

func (panicky) Scan(ctx context.Context, name string, data []byte) ([]Detection, error) {
	if strings.Contains(name, "boom") {
		panic("engine bug")
	}
	return nil, nil
}
func (panicky) RulesVersion() string { return "p" }

func TestScannerPanicIsAnErrorForThatFile(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"boom.exe": "x", "fine.exe": "y"})
	col := newCollector()
	svc, _ := New(Config{BytesPerSecond: -1}, panicky{}, col.callbacks(), nil)
	sum, _ := svc.ScanPaths(context.Background(), ScanConfig{Paths: []string{root}}, SourceOnDemand)
	if sum.Stats.Errors != 1 || sum.Stats.Scanned != 2 || len(col.findings) != 1 || !strings.Contains(col.findings[0].Err.Error(), "engine bug") {
		t.Fatalf("stats %+v findings %+v", sum.Stats, col.findings)
	}
	// The failed file is not cached as clean.
	sum, _ = svc.ScanPaths(context.Background(), ScanConfig{Paths: []string{root}}, SourceOnDemand)
	if sum.Stats.Errors != 1 || sum.Stats.Cached != 1 {
		t.Fatalf("second scan %+v", sum.Stats)
	}
}
