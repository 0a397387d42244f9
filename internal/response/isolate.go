package response

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// TableName names what isolation adds to the host firewall: the nftables
// table, the iptables chain prefix, the Windows rule group. Un-isolation
// removes only that.
const TableName = "medshield_isolation"

// Policy is what stays allowed while the host is isolated, besides loopback
// and replies on established connections.
type Policy struct {
	Allow      []netip.AddrPort // TCP to these (the medshield server)
	DNS        bool             // allow DNS (UDP and TCP port 53)
	DNSServers []netip.Addr     // only to these resolvers; empty: any
}

// Firewall isolates the host. Implementations must apply a policy as one
// change where the platform allows, so the server is never cut off midway.
type Firewall interface {
	// Isolate replaces any previous isolation with p; it returns the
	// mechanism used (e.g. "nftables").
	Isolate(ctx context.Context, p Policy) (string, error)
	// Unisolate removes the isolation; it is not an error if there is none.
	Unisolate(ctx context.Context) error
}

// IsolateArgs: {"allow": ["10.1.2.3:8443"], "allow_dns": true,
// "dns_servers": ["10.1.2.53"]}. All optional; the executor's Servers are
// always allowed, and isolation is refused if nothing would be.
type IsolateArgs struct {
	Allow      []string `json:"allow,omitempty"`
	AllowDNS   bool     `json:"allow_dns,omitempty"`
	DNSServers []string `json:"dns_servers,omitempty"`

	allow []netip.AddrPort
	dns   []netip.Addr
}

func (a *IsolateArgs) validate() error {
	if len(a.Allow) > 64 || len(a.DNSServers) > 16 {
		return invalid("too many addresses")
	}
	for _, s := range a.Allow {
		ap, err := netip.ParseAddrPort(s)
		if err != nil || ap.Port() == 0 || !ap.Addr().IsValid() || ap.Addr().IsUnspecified() {
			return invalid("allow %q is not an IP:port", s)
		}
		a.allow = append(a.allow, ap)
	}
	for _, s := range a.DNSServers {
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.IsUnspecified() {
			return invalid("dns_servers %q is not an IP address", s)
		}
		a.dns = append(a.dns, ip)
	}
	if len(a.dns) > 0 && !a.AllowDNS {
		return invalid("dns_servers given without allow_dns")
	}
	return nil
}

// UnisolateArgs: {} (or no arguments).
type UnisolateArgs struct{}

func (*UnisolateArgs) validate() error { return nil }

// IsolateResult says how the host was isolated and what stays allowed.
type IsolateResult struct {
	Isolated  bool     `json:"isolated"`
	Mechanism string   `json:"mechanism,omitempty"`
	Allowed   []string `json:"allowed,omitempty"`
	DNS       bool     `json:"dns,omitempty"`
}

func (x *Executor) firewall() Firewall {
	if x.Firewall != nil {
		return x.Firewall
	}
	return NewFirewall(nil)
}

func (x *Executor) probe(ctx context.Context, ap netip.AddrPort) error {
	if x.Probe != nil {
		return x.Probe(ctx, ap)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		return err
	}
	return c.Close()
}

func (x *Executor) isolate(ctx context.Context, a IsolateArgs) (any, error) {
	p := Policy{DNS: a.AllowDNS, DNSServers: a.dns}
	seen := map[netip.AddrPort]bool{}
	for _, ap := range append(append([]netip.AddrPort{}, x.Servers...), a.allow...) {
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		if !seen[ap] {
			seen[ap] = true
			p.Allow = append(p.Allow, ap)
		}
	}
	if len(p.Allow) == 0 {
		return nil, fmt.Errorf("%w: no server address to keep reachable; isolation would cut the agent off", ErrRefused)
	}
	// Which servers answer now? Those must still answer once isolated.
	var reachable []netip.AddrPort
	for _, ap := range p.Allow {
		if x.probe(ctx, ap) == nil {
			reachable = append(reachable, ap)
		}
	}
	fw := x.firewall()
	mech, err := fw.Isolate(ctx, p)
	if err != nil {
		// A half-applied iptables policy must not stay behind.
		return nil, errors.Join(err, fw.Unisolate(context.WithoutCancel(ctx)))
	}
	for _, ap := range reachable {
		if perr := x.probe(ctx, ap); perr != nil {
			uerr := fw.Unisolate(context.WithoutCancel(ctx))
			return nil, errors.Join(fmt.Errorf("server %s unreachable after isolating (%v); isolation rolled back", ap, perr), uerr)
		}
	}
	res := IsolateResult{Isolated: true, Mechanism: mech, DNS: p.DNS}
	for _, ap := range p.Allow {
		res.Allowed = append(res.Allowed, ap.String())
	}
	return res, nil
}

func (x *Executor) unisolate(ctx context.Context) (any, error) {
	if err := x.firewall().Unisolate(ctx); err != nil {
		return nil, err
	}
	return IsolateResult{Isolated: false}, nil
}
