//go:build linux

package guard

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

var guardRuns = flag.Int("guard.runs", 0, "run each ransomware variant this many times and report losses (docs/performance/guard.md)")

func TestMain(m *testing.M) {
	if v := os.Getenv("GUARD_SIM"); v != "" {
		os.Exit(runSimulator(v, strings.Split(os.Getenv("GUARD_SIM_ARGS"), "|")))
	}
	os.Exit(m.Run())
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the ransomware shield tests need root (fanotify); CI runs as root")
	}
}

// makeDocuments fills dir with a small hospital share: letters, CSV
// exports, RTF reports, HL7 messages and PDF-like files in three folders.
func makeDocuments(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	words := strings.Fields("patient admitted ward review blood pressure medication dose follow-up discharge summary " +
		"radiology report chest x-ray normal findings laboratory result glucose cholesterol referral cardiology 患者 出院 小结 复查")
	r := rand.New(rand.NewPCG(1, 2))
	text := func(n int) []byte {
		var b bytes.Buffer
		for b.Len() < n {
			b.WriteString(words[r.IntN(len(words))])
			if r.IntN(12) == 0 {
				b.WriteString(".\n")
			} else {
				b.WriteByte(' ')
			}
		}
		return b.Bytes()
	}
	files := map[string][]byte{}
	for _, sub := range []string{"admissions", "radiology", "lab"} {
		d := filepath.Join(dir, sub)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			var name string
			var body []byte
			switch i % 5 {
			case 0:
				name, body = fmt.Sprintf("letter-%02d.txt", i), text(6000+r.IntN(20000))
			case 1:
				name, body = fmt.Sprintf("export-%02d.csv", i), []byte("id,name,dob,result\n"+strings.Repeat("1021,Zhang Wei,1980-02-03,5.4\n", 300+r.IntN(500)))
			case 2:
				name, body = fmt.Sprintf("report-%02d.rtf", i), append([]byte(`{\rtf1\ansi `), text(9000+r.IntN(30000))...)
			case 3:
				name, body = fmt.Sprintf("msg-%02d.hl7", i), []byte(strings.Repeat("MSH|^~\\&|LIS|HOSP|HIS|HOSP|202611290800||ORU^R01|123|P|2.5\rPID|1||12345^^^HOSP||WANG^LI||19700101|F\rOBX|1|NM|GLU||5.6|mmol/L\r", 60+r.IntN(100)))
			case 4:
				name, body = fmt.Sprintf("scan-%02d.pdf", i), append([]byte("%PDF-1.4\n"), text(40000+r.IntN(60000))...)
			}
			p := filepath.Join(d, name)
			if err := os.WriteFile(p, body, 0o644); err != nil {
				t.Fatal(err)
			}
			files[p] = body
		}
	}
	return files
}

// lost counts original documents that are changed or gone.
func lost(orig map[string][]byte) int {
	n := 0
	for p, want := range orig {
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			n++
		}
	}
	return n
}

type shieldRun struct {
	alerts chan Alert
	cancel context.CancelFunc
	done   chan error
	info   ShieldInfo
}

func startShield(t testing.TB, protect []string, canaries bool) *shieldRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sr := &shieldRun{alerts: make(chan Alert, 16), cancel: cancel, done: make(chan error, 1)}
	ready := make(chan ShieldInfo, 1)
	go func() {
		sr.done <- Run(ctx, Options{
			Protect: protect, Kill: true, Canaries: canaries,
			Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			OnAlert: func(a Alert) { sr.alerts <- a },
			OnReady: func(i ShieldInfo) { ready <- i },
		})
	}()
	select {
	case sr.info = <-ready:
	case err := <-sr.done:
		t.Fatalf("shield failed to start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("shield not ready")
	}
	t.Cleanup(sr.stop)
	return sr
}

func (sr *shieldRun) stop() {
	if sr.cancel != nil {
		sr.cancel()
		<-sr.done
		sr.cancel = nil
	}
}

func simulate(t testing.TB, variant string, args ...string) *exec.Cmd {
	t.Helper()
	c := exec.Command(os.Args[0], "-test.run=^$")
	c.Env = append(os.Environ(), "GUARD_SIM="+variant, "GUARD_SIM_ARGS="+strings.Join(args, "|"))
	c.Stderr = os.Stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

func waitExit(t testing.TB, c *exec.Cmd, timeout time.Duration) (killed bool) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(timeout):
		c.Process.Kill()
		<-done
		t.Fatalf("simulator still running after %s", timeout)
	}
	ws, ok := c.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

type variantRun struct {
	lost   int
	killed bool
	alert  *Alert
}

func runVariant(t testing.TB, variant string, canaries bool) variantRun {
	t.Helper()
	root := t.TempDir()
	share := filepath.Join(root, "share")
	orig := makeDocuments(t, share)
	backup := filepath.Join(root, "backup")
	os.MkdirAll(backup, 0o755)
	os.WriteFile(filepath.Join(backup, "share-2026-11-28.tar"), bytes.Repeat([]byte("backup "), 1000), 0o644)
	sr := startShield(t, []string{share}, canaries)
	c := simulate(t, variant, share, backup)
	var res variantRun
	res.killed = waitExit(t, c, 90*time.Second)
	select {
	case a := <-sr.alerts:
		res.alert = &a
	case <-time.After(2 * time.Second):
	}
	sr.stop()
	res.lost = lost(orig)
	return res
}

var ransomVariants = []string{"inplace", "newext", "bitflip", "intermittent", "slow", "fanout", "notes", "inhibit"}

// TestShieldStopsRansomware runs every simulator variant against the real
// shield (fanotify, real files, real kill) three times and requires every
// run to be stopped and the median loss to be at most 3 documents (the
// target; TestRansomwareLossStatistics measures it over 20 runs).
func TestShieldStopsRansomware(t *testing.T) {
	needRoot(t)
	for _, v := range ransomVariants {
		t.Run(v, func(t *testing.T) {
			var losses []int
			for i := 0; i < 3; i++ {
				r := runVariant(t, v, true)
				if r.alert == nil || !r.killed {
					t.Fatalf("%s: not stopped (alert %v, killed %v, %d of 30 documents lost)", v, r.alert != nil, r.killed, r.lost)
				}
				losses = append(losses, r.lost)
			}
			sort.Ints(losses)
			t.Logf("%s: documents lost per run %v", v, losses)
			if losses[1] > 3 {
				t.Errorf("%s: median %d documents lost, want at most 3", v, losses[1])
			}
		})
	}
}

// TestShieldStopsRansomwareWithoutCanaries checks that behaviour alone
// (entropy, type change, extensions, notes) recognises every variant. How
// many documents are lost first depends on how fast the machine schedules
// the shield against the simulator, so losses are reported (see
// docs/performance/guard.md), not bounded here.
func TestShieldStopsRansomwareWithoutCanaries(t *testing.T) {
	needRoot(t)
	for _, v := range ransomVariants {
		if v == "slow" && testing.Short() {
			continue
		}
		t.Run(v, func(t *testing.T) {
			r := runVariant(t, v, false)
			if r.alert == nil {
				t.Fatalf("%s: not recognised without canaries (%d of 30 lost)", v, r.lost)
			}
			t.Logf("%s without canaries: %d lost, killed %v, signals %v", v, r.lost, r.killed, kinds(r.alert.Signals))
		})
	}
}

// TestBenignTwinsDoNotAlert runs the everyday look-alikes: archivers,
// encryption of copies, backups, version control, builds, photo exports and
// a database.
func TestBenignTwinsDoNotAlert(t *testing.T) {
	needRoot(t)
	for _, twin := range []string{"tar", "zip", "gpg", "rsync", "git", "build", "photos", "database"} {
		t.Run(twin, func(t *testing.T) {
			if twin == "tar" || twin == "git" {
				if _, err := exec.LookPath(twin); err != nil {
					t.Skipf("%s not installed", twin)
				}
			}
			root := t.TempDir()
			share := filepath.Join(root, "share")
			mirror := filepath.Join(root, "mirror")
			makeDocuments(t, share)
			makeDocuments(t, mirror) // rsync overwrites older copies here
			sr := startShield(t, []string{share, mirror}, true)
			c := simulate(t, twin, share, mirror)
			if killed := waitExit(t, c, 90*time.Second); killed {
				t.Fatalf("%s was killed", twin)
			}
			if c.ProcessState.ExitCode() != 0 {
				t.Fatalf("%s exited %d", twin, c.ProcessState.ExitCode())
			}
			select {
			case a := <-sr.alerts:
				t.Fatalf("false alert on %s: score %.0f, signals %+v", twin, a.Score, a.Signals)
			case <-time.After(time.Second):
			}
		})
	}
}

func kinds(sigs []Signal) []string {
	var out []string
	for _, s := range sigs {
		out = append(out, s.Kind)
	}
	return out
}

// TestRansomwareLossStatistics measures files lost over many runs of each
// variant (go test ./internal/guard -run LossStatistics -guard.runs=20 -v).
func TestRansomwareLossStatistics(t *testing.T) {
	if *guardRuns == 0 {
		t.Skip("set -guard.runs=N to measure losses")
	}
	needRoot(t)
	for _, canaries := range []bool{true, false} {
		for _, v := range ransomVariants {
			var losses []int
			stopped := 0
			for i := 0; i < *guardRuns; i++ {
				r := runVariant(t, v, canaries)
				losses = append(losses, r.lost)
				if r.killed {
					stopped++
				}
			}
			sort.Ints(losses)
			t.Logf("canaries=%v variant=%-12s runs=%d stopped=%d median_lost=%d worst_lost=%d", canaries, v, len(losses), stopped, losses[len(losses)/2], losses[len(losses)-1])
		}
	}
}
