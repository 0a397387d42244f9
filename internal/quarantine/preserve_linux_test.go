package quarantine

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestPreserveDeletedBinary is the miner case: the binary deletes itself
// after starting; its content is still readable through /proc/PID/exe and
// is preserved from there, then restored to its original path.
func TestPreserveDeletedBinary(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("sleep not found")
	}
	data, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kdevtmpfsi")
	writeFile(t, path, data, 0o755)
	cmd := exec.Command(path, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	os.Remove(path)

	exe, err := os.Open("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
	s := openTest(t)
	s.opts.MaxSize = int64(len(data)) + 1
	rec, err := s.Preserve(exe, path, 0o755, Reason{Rule: "miner.process", Source: "miner"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Size != int64(len(data)) || rec.OriginalPath != path {
		t.Errorf("record = %+v", rec)
	}
	if err := s.Restore(rec.ID, ""); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("restored binary differs (%v)", err)
	}
	if st, _ := os.Stat(path); st.Mode() != 0o755 {
		t.Errorf("restored mode %v", st.Mode())
	}
	if _, err := s.Preserve(exe, "relative/path", 0o644, Reason{}); err == nil {
		t.Error("relative original path accepted")
	}
}
