// Package inventory collects the host inventory the agent reports at start
// and every few hours: operating system, version, kernel, hostname, IP and
// MAC addresses, CPU model and count, memory, boot time and local users with
// a login shell. It returns it as an Inventory and as an event.Event of kind
// "state" in dataset "host.inventory".
//
// Linux reads /etc/os-release, /proc and /etc/passwd (under Options.Root, so
// tests use recorded files); Windows uses the registry and x/sys/windows;
// other systems report what the Go runtime and the network stack know. The
// package does not schedule itself or send anything: internal/agent calls
// Collect and spools the event. It reads no file contents beyond those above.
package inventory

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/medshield/medshield/internal/event"
)

// Dataset is the event.dataset of inventory events.
const Dataset = "host.inventory"

// Options configure Collect.
type Options struct {
	// Root prefixes the files read on Linux (default "/"); tests point it at
	// a directory of recorded files.
	Root string
	// Interfaces lists network interfaces (default net.Interfaces); tests
	// replace it.
	Interfaces func() ([]Interface, error)
}

// Interface is the part of a network interface the inventory keeps.
type Interface struct {
	Name     string
	MAC      string
	Addrs    []string // IPs without prefix length
	Loopback bool
}

// Inventory is what Collect found. Fields it could not determine are empty;
// Errors says why, so one unreadable source never hides the rest.
type Inventory struct {
	Hostname     string
	OSName       string // "Debian GNU/Linux", "Windows 10 Pro"
	OSVersion    string // "12", "22H2"
	OSFamily     string // "linux", "windows", GOOS otherwise
	OSPlatform   string // os-release ID: "debian", "kylin"; "windows"
	OSFull       string // PRETTY_NAME or product name with build
	Kernel       string // kernel release or Windows build
	Architecture string
	IPs          []string
	MACs         []string
	CPUModel     string
	CPUCount     int
	MemoryBytes  uint64
	BootTime     time.Time
	Users        []string // local accounts that can log in
	Errors       []string
}

// Collect gathers the inventory. It fails only when ctx is done; partial
// results carry their reasons in Inventory.Errors.
func Collect(ctx context.Context, o Options) (Inventory, error) {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.Interfaces == nil {
		o.Interfaces = systemInterfaces
	}
	inv := Inventory{OSFamily: runtime.GOOS, Architecture: runtime.GOARCH, CPUCount: runtime.NumCPU()}
	if h, err := os.Hostname(); err == nil {
		inv.Hostname = h
	} else {
		inv.fail("hostname", err)
	}
	if err := ctx.Err(); err != nil {
		return inv, err
	}
	if ifs, err := o.Interfaces(); err == nil {
		inv.IPs, inv.MACs = addresses(ifs)
	} else {
		inv.fail("interfaces", err)
	}
	collectPlatform(ctx, o, &inv)
	return inv, ctx.Err()
}

func (inv *Inventory) fail(what string, err error) {
	inv.Errors = append(inv.Errors, fmt.Sprintf("%s: %v", what, err))
}

// addresses returns the sorted, de-duplicated IPs and MACs of the non-loopback
// interfaces.
func addresses(ifs []Interface) (ips, macs []string) {
	for _, i := range ifs {
		if i.Loopback {
			continue
		}
		ips = append(ips, i.Addrs...)
		if i.MAC != "" {
			macs = append(macs, i.MAC)
		}
	}
	slices.Sort(ips)
	slices.Sort(macs)
	return slices.Compact(ips), slices.Compact(macs)
}

func systemInterfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	out := make([]Interface, 0, len(ifs))
	for _, i := range ifs {
		it := Interface{Name: i.Name, MAC: i.HardwareAddr.String(), Loopback: i.Flags&net.FlagLoopback != 0}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			switch v := a.(type) {
			case *net.IPNet:
				it.Addrs = append(it.Addrs, v.IP.String())
			case *net.IPAddr:
				it.Addrs = append(it.Addrs, v.IP.String())
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// Event returns the inventory as a state event. ECS host.* names are used
// where ECS has them; host.users and host.memory.total are medshield's.
func (inv Inventory) Event() event.Event {
	ev := event.New(event.KindState, Dataset, "inventory")
	ev.Category = "host"
	ev.HostName = inv.Hostname
	ev.Severity = event.SeverityInfo
	f := map[string]any{
		"host.hostname":     inv.Hostname,
		"host.os.family":    inv.OSFamily,
		"host.architecture": inv.Architecture,
		"host.cpu.count":    inv.CPUCount,
	}
	put := func(k, v string) {
		if v != "" {
			f[k] = v
		}
	}
	put("host.os.name", inv.OSName)
	put("host.os.version", inv.OSVersion)
	put("host.os.platform", inv.OSPlatform)
	put("host.os.full", inv.OSFull)
	put("host.os.kernel", inv.Kernel)
	put("host.cpu.model", inv.CPUModel)
	if inv.MemoryBytes > 0 {
		f["host.memory.total"] = inv.MemoryBytes
	}
	if !inv.BootTime.IsZero() {
		f["host.boot.time"] = inv.BootTime.UTC().Format(time.RFC3339)
	}
	if len(inv.IPs) > 0 {
		f["host.ip"] = inv.IPs
	}
	if len(inv.MACs) > 0 {
		f["host.mac"] = inv.MACs
	}
	if len(inv.Users) > 0 {
		f["host.users"] = inv.Users
	}
	if len(inv.Errors) > 0 {
		f["inventory.errors"] = inv.Errors
	}
	ev.Fields = f
	name := inv.OSFull
	if name == "" {
		name = inv.OSFamily
	}
	ev.Message = fmt.Sprintf("host inventory: %s, %d CPU, %.1f GiB memory, %d users",
		name, inv.CPUCount, float64(inv.MemoryBytes)/(1<<30), len(inv.Users))
	return ev
}
