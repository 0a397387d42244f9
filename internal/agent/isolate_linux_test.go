//go:build linux

package agent_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/response"
	"github.com/medshield/medshield/internal/server/servertest"
)

// TestIsolateThroughServer sends isolate and unisolate from the console API
// to a running agent whose firewall acts inside a test network namespace
// (never on this machine's own network): while isolated only the allowed
// server address answers; after unisolate everything does again.
func TestIsolateThroughServer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces)")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (iproute2, nftables)", tool)
		}
	}
	id := fmt.Sprintf("mi%d", os.Getpid()%100000)
	hostNS, peerNS := id+"h", id+"p"
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	if out, err := exec.Command("ip", "netns", "add", hostNS).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", hostNS).Run() })
	ip("netns", "add", peerNS)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", peerNS).Run() })
	ip("-n", hostNS, "link", "add", "vh", "type", "veth", "peer", "name", "vp", "netns", peerNS)
	ip("-n", hostNS, "addr", "add", "10.204.0.1/24", "dev", "vh")
	ip("-n", peerNS, "addr", "add", "10.204.0.2/24", "dev", "vp")
	ip("-n", peerNS, "addr", "add", "10.204.0.3/24", "dev", "vp")
	for _, ns := range []string{hostNS, peerNS} {
		ip("-n", ns, "link", "set", "lo", "up")
	}
	ip("-n", hostNS, "link", "set", "vh", "up")
	ip("-n", peerNS, "link", "set", "vp", "up")

	inNS := func(ns string, fn func() error) error {
		done := make(chan error, 1)
		go func() {
			runtime.LockOSThread() // the thread is discarded afterwards, never reused
			f, err := os.Open("/run/netns/" + ns)
			if err != nil {
				done <- err
				return
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
				done <- err
				return
			}
			done <- fn()
		}()
		return <-done
	}
	listen := func(addr string) netip.AddrPort {
		var ln net.Listener
		if err := inNS(peerNS, func() (err error) { ln, err = net.Listen("tcp", addr); return err }); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		return netip.MustParseAddrPort(ln.Addr().String())
	}
	dial := func(ap netip.AddrPort, timeout time.Duration) error {
		return inNS(hostNS, func() error {
			c, err := net.DialTimeout("tcp", ap.String(), timeout)
			if err == nil {
				c.Close()
			}
			return err
		})
	}
	allowed := listen("10.204.0.2:0")
	other := listen("10.204.0.3:0")

	s := servertest.Start(t)
	state := t.TempDir()
	tok := s.CreateToken(t, "H", "D", 1, "1h")
	cfg, err := agent.Enroll(context.Background(), agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "h"})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(agent.Options{StateDir: state, Version: "test", Logger: quiet(),
		AdjustResponse: func(x *response.Executor) {
			runIn := func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
				return response.ExecRunner(ctx, stdin, "ip", append([]string{"netns", "exec", hostNS, name}, args...)...)
			}
			x.Firewall = response.NewLinuxFirewall(runIn, "nftables")
			x.Servers = []netip.AddrPort{allowed}
			x.Probe = func(ctx context.Context, ap netip.AddrPort) error { return dial(ap, 5*time.Second) }
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}()
	se := s.Login(t, "admin", servertest.AdminPassword)
	run := func(name string) {
		var sent struct{ ID string }
		if code := se.Do(t, "POST", "/api/v1/hosts/"+cfg.AgentID+"/commands", map[string]any{"name": name}, &sent); code != 202 {
			t.Fatalf("send %s: %d", name, code)
		}
		var got struct{ Status string }
		waitFor(t, name, 60*time.Second, func() bool {
			se.Do(t, "GET", "/api/v1/commands/"+sent.ID, nil, &got)
			return got.Status == "done" || got.Status == "failed"
		})
		if got.Status != "done" {
			t.Fatalf("%s: %s", name, got.Status)
		}
	}
	if err := dial(other, 5*time.Second); err != nil {
		t.Fatalf("before isolation: %v", err)
	}
	run("isolate")
	if err := dial(allowed, 5*time.Second); err != nil {
		t.Fatalf("isolated host cannot reach its server: %v", err)
	}
	if err := dial(other, 700*time.Millisecond); err == nil {
		t.Fatal("isolated host still reaches another address")
	}
	run("unisolate")
	if err := dial(other, 5*time.Second); err != nil {
		t.Fatalf("after unisolate: %v", err)
	}
}
