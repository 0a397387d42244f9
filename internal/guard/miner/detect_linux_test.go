package miner

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// stratumPool is a local pool: it answers the JSON-RPC methods a miner
// sends and reports each method it saw.
func stratumPool(t *testing.T) (netip.AddrPort, <-chan string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	methods := make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					var req struct {
						ID     int    `json:"id"`
						Method string `json:"method"`
					}
					if json.Unmarshal(sc.Bytes(), &req) != nil {
						return
					}
					var result any = true
					switch req.Method {
					case "mining.subscribe":
						result = []any{[]any{[]string{"mining.notify", "ae6812eb4cd7735a302a8a9dd95cf71f"}}, "08000002", 4}
					case "login":
						result = map[string]any{"id": "1", "job": map[string]any{"blob": "0707", "job_id": "1", "target": "b88d0600"}, "status": "OK"}
					}
					b, _ := json.Marshal(map[string]any{"id": req.ID, "result": result, "error": nil})
					c.Write(append(b, '\n'))
					methods <- req.Method
				}
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String()), methods
}

// helper starts this test binary as a helper process with argv.
func helper(t *testing.T, role, addr string, argv ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Args = argv
	cmd.Env = append(os.Environ(), "MINER_TEST_ROLE="+role, "MINER_TEST_ADDR="+addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func findingFor(fs []Finding, pid int) (Finding, bool) {
	for _, f := range fs {
		if f.PID == pid {
			return f, true
		}
	}
	return Finding{}, false
}

// waitRemote scans until pid shows a connection to addr.
func waitRemote(t *testing.T, pid int, addr netip.AddrPort) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		snap, err := readSnapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range snap.procs {
			if p.PID == pid && slices.Contains(p.Remote, addr) {
				return
			}
		}
	}
	t.Fatalf("pid %d never showed a connection to %s in /proc", pid, addr)
}

func TestFakeMinerIsDetected(t *testing.T) {
	pool, methods := stratumPool(t)
	url := "stratum+tcp://" + pool.String()
	cases := []struct {
		name string
		argv []string
		want []string
	}{
		{"xmrig command line", []string{"xmrig", "-o", url, "-u", testWallet, "-p", "x", "-a", "rx/0", "--donate-level", "1"},
			[]string{ReasonMinerName, ReasonMinerOption, ReasonPoolArgument, ReasonPoolConnection, ReasonStratumPort, ReasonStratumURL}},
		// A renamed miner with a plain -o HOST:PORT is found by its network
		// behaviour: connected to the pool its command line names, on a
		// stratum port.
		{"renamed miner", []string{"kworker-helper", "-o", pool.String(), "-k"},
			[]string{ReasonPoolArgument, ReasonPoolConnection, ReasonStratumPort}},
	}
	// The pool's port is random; tell the detector it is a stratum port.
	d := New(Options{Self: os.Getpid(), StratumPorts: append(slices.Clone(DefaultStratumPorts), pool.Port())})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := helper(t, "stratum", pool.String(), c.argv...)
			for _, want := range []string{"mining.subscribe", "mining.authorize", "login"} {
				select {
				case m := <-methods:
					if m != want {
						t.Fatalf("pool got %q, want %q", m, want)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("pool never got %q", want)
				}
			}
			waitRemote(t, cmd.Process.Pid, pool)
			fs, err := d.Scan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			f, ok := findingFor(fs, cmd.Process.Pid)
			if !ok {
				t.Fatalf("fake miner pid %d not found; findings: %+v", cmd.Process.Pid, fs)
			}
			got := codes(f.Reasons)
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("reasons %v lack %s", got, w)
				}
			}
			if !slices.Contains(f.Remote, pool) || f.Exe == "" || !slices.Equal(f.Cmdline, c.argv) || f.Score < 50 {
				t.Errorf("evidence: %+v", f)
			}
			// Response: kill, and the binary path is there for quarantine.
			if exe, _ := os.Executable(); f.Exe != exe {
				t.Errorf("exe = %q, want %q", f.Exe, exe)
			}
			if err := Kill(f); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err == nil || cmd.ProcessState.ExitCode() != -1 {
				t.Errorf("after Kill: %v", err)
			}
			if err := Kill(f); err == nil {
				t.Error("killing a finding twice succeeded")
			}
		})
	}
}

func TestBenignProcessesAreNotFlagged(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	addr := netip.MustParseAddrPort(srv.Listener.Addr().String())
	client := helper(t, "http", addr.String(), "fetcher", "--timeout", "30", "http://"+addr.String()+"/")
	burst := helper(t, "burst", "", "report-builder", "--once")
	busy := helper(t, "busy", "", "cruncher", "--threads", "1")
	waitRemote(t, client.Process.Pid, addr)

	// Scaled-down windows: high means 5% of a core (robust on a loaded
	// machine), sustained means 1.2 s; the burst lasts 0.3 s.
	d := New(Options{Self: os.Getpid(), CPUThreshold: 5, Sustain: 1200 * time.Millisecond})
	var busyFinding Finding
	start := time.Now()
	// Scan for at least two sustain windows, and until busy is flagged.
	for i := 0; i < 20 && (busyFinding.PID == 0 || time.Since(start) < 2400*time.Millisecond); i++ {
		fs, err := d.Scan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*exec.Cmd{client, burst} {
			if f, ok := findingFor(fs, c.Process.Pid); ok {
				t.Errorf("benign %s flagged: %+v", c.Args[0], f)
			}
		}
		if f, ok := findingFor(fs, busy.Process.Pid); ok && busyFinding.PID == 0 {
			busyFinding = f
		}
		time.Sleep(300 * time.Millisecond)
	}
	// The control: a process from a non-packaged path that stays busy past
	// the window is flagged, so the burst passed for the right reason.
	if busyFinding.PID == 0 {
		t.Fatal("sustained CPU by an unpackaged binary was not flagged")
	}
	if got := codes(busyFinding.Reasons); !slices.Contains(got, ReasonSustainedCPU) || busyFinding.CPUPercent < 5 {
		t.Errorf("busy finding: %v at %.0f%%", got, busyFinding.CPUPercent)
	}
	// The same busy binary is not flagged when allowed.
	d2 := New(Options{Self: os.Getpid(), CPUThreshold: 5, Sustain: 600 * time.Millisecond, AllowExe: []string{busyFinding.Exe}})
	for i := 0; i < 4; i++ {
		fs, _ := d2.Scan(context.Background())
		if f, ok := findingFor(fs, busy.Process.Pid); ok {
			t.Errorf("allowed binary flagged: %+v", f)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func TestRunReportsEachProcessOnce(t *testing.T) {
	pool, methods := stratumPool(t)
	d := New(Options{Self: os.Getpid()})
	cmd := helper(t, "stratum", pool.String(), "xmrig", "-o", "stratum+tcp://"+pool.String())
	for i := 0; i < 3; i++ {
		<-methods
	}
	waitRemote(t, cmd.Process.Pid, pool)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	n := 0
	if err := d.Run(ctx, 100*time.Millisecond, func(f Finding) {
		if f.PID == cmd.Process.Pid {
			n++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("reported %d times over several scans, want once", n)
	}
}
