package response

import (
	"context"
	"encoding/json"
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
)

// The isolation tests run for real, but only inside two network namespaces
// made here: "host" (isolated) and "peer" (the servers), joined by a veth
// pair. Nothing is ever applied to the machine's own namespace.

type testNet struct {
	host, peer string
}

func newTestNet(t *testing.T) *testNet {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("isolation test needs root (network namespaces); CI runs as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("isolation test needs the ip command (Debian package iproute2)")
	}
	id := fmt.Sprintf("ms%d%d", os.Getpid()%100000, time.Now().UnixNano()%1000)
	n := &testNet{host: id + "h", peer: id + "p"}
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	if out, err := exec.Command("ip", "netns", "add", n.host).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace (%v: %s)", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.host).Run() })
	sh("netns", "add", n.peer)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.peer).Run() })
	// Created directly inside the namespaces: the root namespace never sees it.
	sh("-n", n.host, "link", "add", "vh", "type", "veth", "peer", "name", "vp", "netns", n.peer)
	sh("-n", n.host, "addr", "add", "10.203.0.1/24", "dev", "vh")
	sh("-n", n.peer, "addr", "add", "10.203.0.2/24", "dev", "vp")
	sh("-n", n.peer, "addr", "add", "10.203.0.3/24", "dev", "vp")
	for _, ns := range []string{n.host, n.peer} {
		sh("-n", ns, "link", "set", "lo", "up")
	}
	sh("-n", n.host, "link", "set", "vh", "up")
	sh("-n", n.peer, "link", "set", "vp", "up")
	return n
}

// inNS runs fn on a fresh OS thread moved into the namespace. The goroutine
// ends without unlocking the thread, so the Go runtime discards the thread
// and no other goroutine can ever run in that namespace by accident.
func inNS(t *testing.T, ns string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			done <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		done <- fn()
	}()
	return <-done
}

// listen starts a TCP server in ns that accepts and closes connections.
func (n *testNet) listen(t *testing.T, ns, addr string) netip.AddrPort {
	t.Helper()
	var ln net.Listener
	if err := inNS(t, ns, func() (err error) { ln, err = net.Listen("tcp", addr); return err }); err != nil {
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

// dial connects from ns. Dropped packets show as a timeout, so the
// timeout is short when blocking is expected and generous otherwise (the
// machine may be loaded).
func (n *testNet) dial(t *testing.T, ns string, ap netip.AddrPort, timeout time.Duration) error {
	return inNS(t, ns, func() error {
		c, err := net.DialTimeout("tcp", ap.String(), timeout)
		if err == nil {
			c.Close()
		}
		return err
	})
}

// runIn runs firewall commands inside ns.
func runIn(ns string) Runner {
	return func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
		return ExecRunner(ctx, stdin, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
	}
}

func TestIsolateInNetworkNamespace(t *testing.T) {
	backends := []struct{ name, tool string }{{"nftables", "nft"}, {"iptables", "iptables"}}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			if _, err := exec.LookPath(b.tool); err != nil {
				t.Skipf("%s missing (Debian package %s)", b.tool, map[string]string{"nft": "nftables", "iptables": "iptables"}[b.tool])
			}
			n := newTestNet(t)
			server := n.listen(t, n.peer, "10.203.0.2:0")
			otherPort := n.listen(t, n.peer, "10.203.0.2:0")
			otherHost := n.listen(t, n.peer, "10.203.0.3:0")
			local := n.listen(t, n.host, "127.0.0.1:0")
			reach := func(when string, want map[netip.AddrPort]bool) {
				t.Helper()
				for ap, ok := range want {
					timeout := 500 * time.Millisecond
					if ok {
						timeout = 5 * time.Second
					}
					err := n.dial(t, n.host, ap, timeout)
					if ok && err != nil {
						t.Errorf("%s: %s unreachable: %v", when, ap, err)
					}
					if !ok && err == nil {
						t.Errorf("%s: %s reachable, want blocked", when, ap)
					}
				}
			}
			reach("before", map[netip.AddrPort]bool{server: true, otherPort: true, otherHost: true, local: true})

			// Something of the host's own that un-isolation must leave alone.
			keep := map[string][]string{"nft": {"add", "table", "inet", "keepme"}, "iptables": {"-N", "keepme"}}[b.tool]
			if _, err := runIn(n.host)(context.Background(), nil, b.tool, keep...); err != nil {
				t.Fatal(err)
			}

			x := &Executor{
				Firewall: NewLinuxFirewall(runIn(n.host), b.name),
				Servers:  []netip.AddrPort{server},
				Probe:    func(_ context.Context, ap netip.AddrPort) error { return n.dial(t, n.host, ap, 5*time.Second) },
			}
			ctx := context.Background()
			res, err := x.Execute(ctx, "isolate", json.RawMessage(`{"allow_dns":true}`))
			if err != nil {
				t.Fatal(err)
			}
			if r := res.(IsolateResult); !strings.HasPrefix(r.Mechanism, b.name) {
				t.Errorf("mechanism %q, want %s", r.Mechanism, b.name)
			}
			reach("isolated", map[netip.AddrPort]bool{server: true, otherPort: false, otherHost: false, local: true})

			// Isolating again (new policy) replaces, never stacks.
			if _, err := x.Execute(ctx, "isolate", json.RawMessage(`{"allow":["`+otherHost.String()+`"],"allow_dns":true,"dns_servers":["10.203.0.53","fd00::53"]}`)); err != nil {
				t.Fatal(err)
			}
			reach("re-isolated", map[netip.AddrPort]bool{server: true, otherPort: false, otherHost: true})

			if _, err := x.Execute(ctx, "unisolate", nil); err != nil {
				t.Fatal(err)
			}
			reach("after unisolate", map[netip.AddrPort]bool{server: true, otherPort: true, otherHost: true, local: true})
			list := map[string][]string{"nft": {"list", "ruleset"}, "iptables": {"-S"}}[b.tool]
			out, err := runIn(n.host)(ctx, nil, b.tool, list...)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), TableName) || !strings.Contains(string(out), "keepme") {
				t.Errorf("after unisolate the ruleset should keep keepme and lose %s:\n%s", TableName, out)
			}
			// Un-isolating twice is fine.
			if _, err := x.Execute(ctx, "unisolate", nil); err != nil {
				t.Errorf("second unisolate: %v", err)
			}
		})
	}
}
