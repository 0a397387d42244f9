//go:build !windows

package tamper

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestCheckFindsAndRepairsLoosePermissions(t *testing.T) {
	for _, repair := range []bool{false, true} {
		root := t.TempDir()
		state := filepath.Join(root, "state")
		os.MkdirAll(filepath.Join(state, "spool"), 0o755)
		os.Chmod(state, 0o750)
		os.WriteFile(filepath.Join(state, "agent.key"), []byte("k"), 0o644)
		os.WriteFile(filepath.Join(state, "config.json"), []byte("{}"), 0o600)
		os.WriteFile(filepath.Join(state, "spool", "0001"), []byte("e"), 0o400) // stricter is fine
		os.Symlink("/etc/passwd", filepath.Join(state, "evil-link"))
		bindir := filepath.Join(root, "bin")
		os.Mkdir(bindir, 0o777)
		os.Chmod(bindir, 0o777) // umask-proof
		bin := filepath.Join(bindir, "medshield")
		os.WriteFile(bin, []byte("\x7fELF"), 0o775)
		os.Chmod(bin, 0o775)

		probs, err := Check(Policy{StateDir: state, Binary: bin, Owner: -1, Repair: repair})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range probs {
			rel, _ := filepath.Rel(root, p.Path)
			got = append(got, rel+" "+p.Issue+" "+p.Got)
			if p.Repaired != (repair && p.Issue == IssueMode && p.Path != bindir) {
				t.Errorf("repair=%v: %s repaired=%v", repair, p, p.Repaired)
			}
		}
		sort.Strings(got)
		want := []string{"bin 0777", "bin/medshield 0775", "state 0750", "state/agent.key 0644", "state/evil-link link to /etc/passwd", "state/spool 0755"}
		for i := range want {
			want[i] = strings.Replace(want[i], " ", " "+map[bool]string{true: IssueSymlink, false: IssueMode}[strings.Contains(want[i], "link to")]+" ", 1)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("repair=%v: problems\n%s\nwant\n%s", repair, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if !repair {
			continue
		}
		for path, mode := range map[string]os.FileMode{state: 0o700, filepath.Join(state, "spool"): 0o700,
			filepath.Join(state, "agent.key"): 0o600, filepath.Join(state, "spool", "0001"): 0o400, bin: 0o755} {
			if fi, _ := os.Stat(path); fi.Mode().Perm() != mode {
				t.Errorf("%s: mode %04o after repair, want %04o", path, fi.Mode().Perm(), mode)
			}
		}
		again, _ := Check(Policy{StateDir: state, Binary: bin, Owner: -1})
		if len(again) != 2 { // the link and the shared bin dir are reported, never changed
			t.Errorf("after repair: %v", again)
		}
	}
}

func TestCheckRepairsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	state := t.TempDir()
	os.Chmod(state, 0o700)
	f := filepath.Join(state, "secret")
	os.WriteFile(f, []byte("s"), 0o600)
	if err := os.Chown(f, 4242, 4242); err != nil {
		t.Skip("chown not possible here:", err)
	}
	probs, err := Check(Policy{StateDir: state, Owner: 0, Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 1 || probs[0].Issue != IssueOwner || probs[0].Got != "4242" || !probs[0].Repaired {
		t.Fatalf("problems %v", probs)
	}
	if again, _ := Check(Policy{StateDir: state, Owner: 0}); len(again) != 0 {
		t.Fatalf("after repair: %v", again)
	}
}

func TestCheckMissingState(t *testing.T) {
	if _, err := Check(Policy{StateDir: filepath.Join(t.TempDir(), "nope"), Owner: -1}); err == nil {
		t.Fatal("missing state dir not reported")
	}
	state := t.TempDir()
	os.Chmod(state, 0o700)
	probs, err := Check(Policy{StateDir: state, Binary: "/nonexistent/medshield", Owner: -1})
	if err != nil || len(probs) != 1 || probs[0].Issue != IssueMissing {
		t.Fatalf("missing binary: %v %v", probs, err)
	}
}
