package response

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// NewFirewall returns the Linux firewall: nftables through the nft command
// when present, else iptables/ip6tables. run nil means ExecRunner.
func NewFirewall(run Runner) Firewall { return NewLinuxFirewall(run, "") }

// NewLinuxFirewall chooses the backend: "nftables", "iptables" or "" (auto).
func NewLinuxFirewall(run Runner, backend string) Firewall {
	if run == nil {
		run = ExecRunner
	}
	return &linuxFirewall{run: run, backend: backend}
}

type linuxFirewall struct {
	run     Runner
	backend string
}

func have(tool string) bool { _, err := exec.LookPath(tool); return err == nil }

func (f *linuxFirewall) Isolate(ctx context.Context, p Policy) (string, error) {
	switch f.backend {
	case "nftables":
		return "nftables", f.nftIsolate(ctx, p)
	case "iptables":
		return f.iptIsolate(ctx, p)
	case "":
	default:
		return "", fmt.Errorf("unknown firewall backend %q", f.backend)
	}
	var errs []error
	if have("nft") {
		err := f.nftIsolate(ctx, p)
		if err == nil {
			return "nftables", nil
		}
		errs = append(errs, err)
	}
	if have("iptables") {
		mech, err := f.iptIsolate(ctx, p)
		if err == nil {
			return mech, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return "", errors.New("isolate: neither nft nor iptables is installed")
	}
	return "", fmt.Errorf("isolate: %w", errors.Join(errs...))
}

// Unisolate removes the nftables table and the iptables chains, whichever
// exist, and nothing else.
func (f *linuxFirewall) Unisolate(ctx context.Context) error {
	var errs []error
	if f.backend != "iptables" && have("nft") {
		if _, err := f.run(ctx, nil, "nft", "list", "table", "inet", TableName); err == nil {
			if _, err := f.run(ctx, nil, "nft", "delete", "table", "inet", TableName); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if f.backend != "nftables" {
		for _, tool := range []string{"iptables", "ip6tables"} {
			if have(tool) {
				errs = append(errs, f.iptRemove(ctx, tool))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("unisolate: %w", err)
	}
	return nil
}

// nftScript is one nft transaction: create-then-delete makes the delete
// valid whether or not the table exists, then the table is defined anew.
// Being one transaction, the host is never half isolated.
func nftScript(p Policy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s\ndelete table inet %s\n", TableName, TableName)
	fmt.Fprintf(&b, "table inet %s {\n", TableName)
	b.WriteString("\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n")
	b.WriteString("\t\tiif \"lo\" accept\n\t\tct state established,related accept\n")
	for _, ap := range p.Allow {
		fmt.Fprintf(&b, "\t\t%s saddr %s tcp sport %d accept\n", family(ap.Addr().Is4()), ap.Addr(), ap.Port())
	}
	b.WriteString("\t}\n")
	b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n")
	b.WriteString("\tchain output {\n\t\ttype filter hook output priority filter; policy drop;\n")
	b.WriteString("\t\toif \"lo\" accept\n\t\tct state established,related accept\n")
	for _, ap := range p.Allow {
		fmt.Fprintf(&b, "\t\t%s daddr %s tcp dport %d accept\n", family(ap.Addr().Is4()), ap.Addr(), ap.Port())
	}
	if p.DNS {
		if len(p.DNSServers) == 0 {
			b.WriteString("\t\tudp dport 53 accept\n\t\ttcp dport 53 accept\n")
		}
		for _, ip := range p.DNSServers {
			fmt.Fprintf(&b, "\t\t%s daddr %s meta l4proto { tcp, udp } th dport 53 accept\n", family(ip.Is4()), ip)
		}
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

func family(v4 bool) string {
	if v4 {
		return "ip"
	}
	return "ip6"
}

func (f *linuxFirewall) nftIsolate(ctx context.Context, p Policy) error {
	_, err := f.run(ctx, []byte(nftScript(p)), "nft", "-f", "-")
	return err
}

// The iptables form: three chains per family, filled completely (ending in
// DROP) before the jumps from INPUT, OUTPUT and FORWARD are inserted.
var iptChains = []struct{ name, hook string }{
	{TableName + "_in", "INPUT"},
	{TableName + "_out", "OUTPUT"},
	{TableName + "_fwd", "FORWARD"},
}

// iptRules returns the rules of each chain for one family.
func iptRules(p Policy, v4 bool) map[string][][]string {
	in := [][]string{{"-i", "lo", "-j", "ACCEPT"}, {"-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"}}
	out := [][]string{{"-o", "lo", "-j", "ACCEPT"}, {"-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"}}
	for _, ap := range p.Allow {
		if ap.Addr().Is4() != v4 {
			continue
		}
		port := strconv.Itoa(int(ap.Port()))
		in = append(in, []string{"-s", ap.Addr().String(), "-p", "tcp", "--sport", port, "-j", "ACCEPT"})
		out = append(out, []string{"-d", ap.Addr().String(), "-p", "tcp", "--dport", port, "-j", "ACCEPT"})
	}
	if p.DNS {
		for _, proto := range []string{"udp", "tcp"} {
			if len(p.DNSServers) == 0 {
				out = append(out, []string{"-p", proto, "--dport", "53", "-j", "ACCEPT"})
			}
			for _, ip := range p.DNSServers {
				if ip.Is4() == v4 {
					out = append(out, []string{"-d", ip.String(), "-p", proto, "--dport", "53", "-j", "ACCEPT"})
				}
			}
		}
	}
	drop := []string{"-j", "DROP"}
	return map[string][][]string{
		TableName + "_in":  append(in, drop),
		TableName + "_out": append(out, drop),
		TableName + "_fwd": {drop},
	}
}

func (f *linuxFirewall) iptIsolate(ctx context.Context, p Policy) (string, error) {
	mech := "iptables"
	tools := []string{"iptables"}
	if have("ip6tables") {
		tools = append(tools, "ip6tables")
	} else {
		mech = "iptables (IPv4 only: ip6tables missing)"
	}
	for _, tool := range tools {
		rules := iptRules(p, tool == "iptables")
		for _, c := range iptChains {
			// -N fails if the chain exists (a previous isolation): flush it.
			if _, err := f.run(ctx, nil, tool, "-w", "-N", c.name); err != nil {
				if _, err := f.run(ctx, nil, tool, "-w", "-F", c.name); err != nil {
					return "", err
				}
			}
			for _, r := range rules[c.name] {
				if _, err := f.run(ctx, nil, tool, append([]string{"-w", "-A", c.name}, r...)...); err != nil {
					return "", err
				}
			}
		}
		for _, c := range iptChains {
			if _, err := f.run(ctx, nil, tool, "-w", "-C", c.hook, "-j", c.name); err == nil {
				continue
			}
			if _, err := f.run(ctx, nil, tool, "-w", "-I", c.hook, "1", "-j", c.name); err != nil {
				return "", err
			}
		}
	}
	return mech, nil
}

func (f *linuxFirewall) iptRemove(ctx context.Context, tool string) error {
	var errs []error
	for _, c := range iptChains {
		if _, err := f.run(ctx, nil, tool, "-w", "-n", "-L", c.name); err != nil {
			continue // no such chain
		}
		for i := 0; i < 16; i++ {
			if _, err := f.run(ctx, nil, tool, "-w", "-D", c.hook, "-j", c.name); err != nil {
				break
			}
		}
		if _, err := f.run(ctx, nil, tool, "-w", "-F", c.name); err != nil {
			errs = append(errs, err)
		}
		if _, err := f.run(ctx, nil, tool, "-w", "-X", c.name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
