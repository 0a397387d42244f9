package response

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/quarantine"
)

func TestCommandsAreAllHandled(t *testing.T) {
	x := &Executor{}
	for _, name := range Commands {
		_, err := x.Execute(context.Background(), name, json.RawMessage(`{"bogus_field_for_test":1}`))
		if errors.Is(err, ErrUnknownCommand) || !errors.Is(err, ErrInvalidArgs) {
			t.Errorf("%s: err = %v, want ErrInvalidArgs from its own decoder", name, err)
		}
	}
	if _, err := x.Execute(context.Background(), "format-disk", nil); !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("unknown command: %v", err)
	}
}

func TestArgumentsAreValidatedStrictly(t *testing.T) {
	cases := []struct{ cmd, args, want string }{
		{"kill-process", ``, "missing arguments"},
		{"kill-process", `null`, "missing arguments"},
		{"kill-process", `[1]`, "must be a JSON object"},
		{"kill-process", `{"pid":"12"}`, "cannot unmarshal"},
		{"kill-process", `{"pid":0}`, "out of range"},
		{"kill-process", `{"pid":-5}`, "out of range"},
		{"kill-process", `{"pid":12,"signal":9}`, "unknown field"},
		{"kill-process", `{"pid":12} {"pid":13}`, "trailing data"},
		{"quarantine-file", `{"path":"relative/x"}`, "not an absolute path"},
		{"quarantine-file", `{}`, "path is required"},
		{"quarantine-file", `{"path":"/a\u0000b"}`, "NUL"},
		{"restore-file", `{"to":"/x"}`, "id is required"},
		{"restore-file", `{"id":"x","to":"y"}`, "not an absolute path"},
		{"delete-quarantined", `{"id":""}`, "id is required"},
		{"collect-file", `{"path":"/etc/hostname","max_bytes":-1}`, "negative"},
		{"isolate", `{"allow":["10.0.0.1"]}`, "not an IP:port"},
		{"isolate", `{"allow":["server.example:443"]}`, "not an IP:port"},
		{"isolate", `{"allow":["0.0.0.0:443"]}`, "not an IP:port"},
		{"isolate", `{"allow":["10.0.0.1:0"]}`, "not an IP:port"},
		{"isolate", `{"dns_servers":["10.0.0.53"]}`, "without allow_dns"},
		{"isolate", `{"allow_dns":true,"dns_servers":["resolver"]}`, "not an IP address"},
		{"unisolate", `{"force":true}`, "unknown field"},
	}
	x := &Executor{Firewall: &fakeFirewall{}}
	for _, c := range cases {
		t.Run(c.cmd+" "+c.args, func(t *testing.T) {
			_, err := x.Execute(context.Background(), c.cmd, json.RawMessage(c.args))
			if !errors.Is(err, ErrInvalidArgs) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrInvalidArgs saying %q", err, c.want)
			}
		})
	}
}

func exitedBySignal(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == -1
}

func TestKillProcess(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	defer cmd.Process.Kill()
	x := &Executor{}
	res, err := x.Execute(context.Background(), "kill-process", json.RawMessage(`{"pid":`+itoa(cmd.Process.Pid)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	kr := res.(KillResult)
	if len(kr.Killed) != 1 || kr.Killed[0] != cmd.Process.Pid || kr.Name != "sleep" {
		t.Errorf("result = %+v", kr)
	}
	if err := cmd.Wait(); !exitedBySignal(err) {
		t.Errorf("child ended with %v, want killed by a signal", err)
	}
}

func TestKillProcessTree(t *testing.T) {
	// sh starts two sleeps and prints their pids, then waits.
	cmd := exec.Command("sh", "-c", `sleep 60 & echo $!; sleep 60 & echo $!; wait`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sh: %v", err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 64)
	var got string
	for strings.Count(got, "\n") < 2 {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got += string(buf[:n])
	}
	kids := strings.Fields(got)

	// The agent must not kill a tree it is part of: pretend the agent is
	// one of the grandchildren.
	x := &Executor{Self: atoi(t, kids[0])}
	if _, err := x.Execute(context.Background(), "kill-process", json.RawMessage(`{"pid":`+itoa(cmd.Process.Pid)+`,"tree":true}`)); !errors.Is(err, ErrRefused) {
		t.Fatalf("tree containing the agent: err = %v, want ErrRefused", err)
	}

	x = &Executor{}
	res, err := x.Execute(context.Background(), "kill-process", json.RawMessage(`{"pid":`+itoa(cmd.Process.Pid)+`,"tree":true}`))
	if err != nil {
		t.Fatal(err)
	}
	kr := res.(KillResult)
	if len(kr.Killed) != 3 || kr.Killed[0] != cmd.Process.Pid {
		t.Errorf("killed %v, want sh and its two sleeps", kr.Killed)
	}
	if err := cmd.Wait(); !exitedBySignal(err) {
		t.Errorf("sh ended with %v, want killed", err)
	}
	for _, k := range kids {
		if !waitDead(t, atoi(t, k)) {
			t.Errorf("grandchild %s still running", k)
		}
	}
}

func TestKillRefusals(t *testing.T) {
	x := &Executor{}
	for _, args := range []string{`{"pid":1}`, `{"pid":` + itoa(os.Getpid()) + `}`, `{"pid":1,"tree":true}`} {
		if _, err := x.Execute(context.Background(), "kill-process", json.RawMessage(args)); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: err = %v, want ErrRefused", args, err)
		}
	}
	// A pid that does not exist fails without harm.
	if _, err := x.Execute(context.Background(), "kill-process", json.RawMessage(`{"pid":4194000}`)); err == nil {
		t.Error("killing a missing pid succeeded")
	}
}

func TestQuarantineRestoreDeleteThroughExecutor(t *testing.T) {
	st, err := quarantine.Open(filepath.Join(t.TempDir(), "q"))
	if err != nil {
		t.Fatal(err)
	}
	x := &Executor{Quarantine: st}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "invoice.pdf.exe")
	os.WriteFile(path, []byte("MZ not really"), 0o755)

	res, err := x.Execute(ctx, "quarantine-file", json.RawMessage(`{"path":"`+path+`","rule":"console:manual","detail":"analyst request"}`))
	if err != nil {
		t.Fatal(err)
	}
	rec := res.(QuarantineResult).Record
	if rec.OriginalPath != path || rec.Reason.Source != "console" || rec.Reason.Rule != "console:manual" {
		t.Errorf("record = %+v", rec)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("file still in place")
	}
	if b, err := json.Marshal(res); err != nil || !strings.Contains(string(b), `"original_path"`) {
		t.Errorf("result JSON = %s, %v", b, err)
	}
	res, err = x.Execute(ctx, "restore-file", json.RawMessage(`{"id":"`+rec.ID+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if rr := res.(RestoreResult); rr.Path != path {
		t.Errorf("restored to %s", rr.Path)
	}
	if b, _ := os.ReadFile(path); string(b) != "MZ not really" {
		t.Errorf("restored content %q", b)
	}
	res, _ = x.Execute(ctx, "quarantine-file", json.RawMessage(`{"path":"`+path+`"}`))
	id := res.(QuarantineResult).Record.ID
	if _, err := x.Execute(ctx, "delete-quarantined", json.RawMessage(`{"id":"`+id+`"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Execute(ctx, "restore-file", json.RawMessage(`{"id":"`+id+`"}`)); !errors.Is(err, quarantine.ErrNotFound) {
		t.Errorf("restore after delete: %v", err)
	}
	if _, err := (&Executor{}).Execute(ctx, "quarantine-file", json.RawMessage(`{"path":"/x"}`)); err == nil || !strings.Contains(err.Error(), "no quarantine store") {
		t.Errorf("without a store: %v", err)
	}
}

func TestCollectFile(t *testing.T) {
	dir := t.TempDir()
	data := []byte(strings.Repeat("sample data line\n", 1000)) // 17,000 bytes
	path := filepath.Join(dir, "sample.log")
	os.WriteFile(path, data, 0o640)
	sum := sha256.Sum256(data)
	cases := []struct {
		name       string
		max        int64 // executor limit
		args       string
		wantReturn int
	}{
		{"whole file", 0, `{"path":"` + path + `"}`, len(data)},
		{"asked limit", 0, `{"path":"` + path + `","max_bytes":100}`, 100},
		{"executor limit wins", 1000, `{"path":"` + path + `","max_bytes":5000}`, 1000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := (&Executor{MaxCollect: c.max}).Execute(context.Background(), "collect-file", json.RawMessage(c.args))
			if err != nil {
				t.Fatal(err)
			}
			cr := res.(CollectResult)
			content, err := base64.StdEncoding.DecodeString(cr.Content)
			if err != nil || string(content) != string(data[:c.wantReturn]) {
				t.Errorf("content: %d bytes (%v), want the first %d", len(content), err, c.wantReturn)
			}
			if cr.SHA256 != hex.EncodeToString(sum[:]) || cr.Size != int64(len(data)) {
				t.Errorf("sha256/size = %s/%d, want the whole file's", cr.SHA256, cr.Size)
			}
			if cr.Truncated != (c.wantReturn < len(data)) || cr.Returned != int64(c.wantReturn) {
				t.Errorf("truncated=%v returned=%d", cr.Truncated, cr.Returned)
			}
		})
	}
	if _, err := (&Executor{}).Execute(context.Background(), "collect-file", json.RawMessage(`{"path":"`+dir+`"}`)); err == nil {
		t.Error("collecting a directory succeeded")
	}
}

type fakeFirewall struct {
	isolated   bool
	policy     Policy
	unisolated int
	fail       error
}

func (f *fakeFirewall) Isolate(_ context.Context, p Policy) (string, error) {
	if f.fail != nil {
		return "", f.fail
	}
	f.isolated, f.policy = true, p
	return "fake", nil
}

func (f *fakeFirewall) Unisolate(context.Context) error {
	f.isolated = false
	f.unisolated++
	return nil
}

func TestIsolatePolicyAndSafety(t *testing.T) {
	server := netip.MustParseAddrPort("10.9.9.9:8443")
	ctx := context.Background()

	// Nothing to keep reachable: refused, firewall untouched.
	fw := &fakeFirewall{}
	x := &Executor{Firewall: fw, Probe: func(context.Context, netip.AddrPort) error { return nil }}
	if _, err := x.Execute(ctx, "isolate", nil); !errors.Is(err, ErrRefused) || fw.isolated {
		t.Errorf("isolate without a server: err = %v, isolated = %v", err, fw.isolated)
	}

	// The configured server is always allowed, with extra addresses, deduplicated.
	x.Servers = []netip.AddrPort{server}
	res, err := x.Execute(ctx, "isolate", json.RawMessage(`{"allow":["10.9.9.9:8443","[fd00::5]:443"],"allow_dns":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.(IsolateResult); !got.Isolated || len(got.Allowed) != 2 || got.Allowed[0] != "10.9.9.9:8443" || !got.DNS {
		t.Errorf("result = %+v", got)
	}
	if len(fw.policy.Allow) != 2 || fw.policy.Allow[1] != netip.MustParseAddrPort("[fd00::5]:443") {
		t.Errorf("policy = %+v", fw.policy)
	}

	// A server that answered before and not after: rolled back.
	fw = &fakeFirewall{}
	x = &Executor{Firewall: fw, Servers: []netip.AddrPort{server}, Probe: func(context.Context, netip.AddrPort) error {
		if fw.isolated {
			return errors.New("timeout")
		}
		return nil
	}}
	if _, err := x.Execute(ctx, "isolate", nil); err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Errorf("lock-out not detected: %v", err)
	}
	if fw.isolated || fw.unisolated != 1 {
		t.Errorf("after lock-out: isolated=%v unisolated=%d", fw.isolated, fw.unisolated)
	}
	// A server that was already down does not block isolation.
	fw = &fakeFirewall{}
	x.Firewall = fw
	x.Probe = func(context.Context, netip.AddrPort) error { return errors.New("down") }
	if _, err := x.Execute(ctx, "isolate", nil); err != nil || !fw.isolated {
		t.Errorf("isolate with the server down: %v", err)
	}
	// A failing firewall leaves nothing behind.
	fw = &fakeFirewall{fail: errors.New("nft: permission denied")}
	x.Firewall = fw
	if _, err := x.Execute(ctx, "isolate", nil); err == nil || fw.unisolated != 1 {
		t.Errorf("failed isolate: err %v, cleanups %d", err, fw.unisolated)
	}
	if res, err := x.Execute(ctx, "unisolate", json.RawMessage(`{}`)); err != nil || res.(IsolateResult).Isolated {
		t.Errorf("unisolate: %v %v", res, err)
	}
}
