package osv

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/corpus"
)

func TestImportDirAndZip(t *testing.T) {
	data := t.TempDir()
	src := filepath.Join(corpus.Dir(t, "vuln/osv"), "debian-derived")
	s, err := Import(context.Background(), src, data, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "debian-derived" || s.Records != 1071 || s.Rejected != 0 || len(s.SHA256) != 64 {
		t.Errorf("source %+v", s)
	}
	// Re-importing the stored zip under another name works, and the
	// manifest lists both.
	if _, err := Import(context.Background(), filepath.Join(Dir(data), "debian-derived.zip"), data, "copy", ""); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(data)
	if err != nil || len(m.Sources) != 2 {
		t.Fatalf("manifest %+v %v", m, err)
	}
	if st := m.Stale(time.Now().Add(48*time.Hour), 24*time.Hour); len(st) != 2 {
		t.Errorf("stale = %d, want 2", len(st))
	}
	if st := m.Stale(time.Now(), 24*time.Hour); len(st) != 0 {
		t.Errorf("fresh import reported stale")
	}
	db := NewDB()
	if err := db.Load(context.Background(), Dir(data)); err != nil || db.Len() != 1071 || db.Stats.Replaced != 1071 {
		t.Errorf("load stored DB: %v, %d records, %+v", err, db.Len(), db.Stats)
	}
	// Something that is not OSV is refused and leaves nothing behind.
	bad := filepath.Join(t.TempDir(), "notes")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "a.txt"), []byte("x"), 0o644)
	if _, err := Import(context.Background(), bad, data, "", ""); err == nil {
		t.Error("importing a directory without records: no error")
	}
	if _, err := os.Stat(filepath.Join(Dir(data), "notes.zip")); err == nil {
		t.Error("failed import left a file")
	}
}

// TestUpdate serves osv.dev's bucket layout from a local HTTP server.
func TestUpdate(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("DSA-1-1.json")
	w.Write([]byte(`{"id":"DSA-1-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"p"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1"}]}]}]}`))
	zw.Close()
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.EscapedPath())
		if r.URL.Path == "/Debian/all.zip" {
			w.Write(buf.Bytes())
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	data := t.TempDir()
	got, err := Update(context.Background(), srv.Client(), srv.URL, []string{"Debian", "Red Hat"}, data)
	if err == nil || !strings.Contains(err.Error(), "Red Hat") || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("want an error naming the missing Red Hat export, got %v", err)
	}
	if len(got) != 1 || got[0].Name != "Debian" || got[0].Records != 1 || !strings.HasSuffix(got[0].Origin, "/Debian/all.zip") {
		t.Errorf("imported %+v", got)
	}
	if strings.Join(paths, ",") != "/Debian/all.zip,/Red%20Hat/all.zip" {
		t.Errorf("requested %v", paths)
	}
	if _, err := os.Stat(filepath.Join(Dir(data), "Debian.zip")); err != nil {
		t.Error(err)
	}
}
