package posture

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/internal/vuln/winpatch"
)

// Datasets of the state events this package produces.
const (
	DatasetPackages = "host.packages"
	DatasetFinding  = "vuln.finding"
	DatasetSummary  = "vuln.summary"
)

// DefaultInterval is how often the agent re-collects its inventory.
const DefaultInterval = 6 * time.Hour

// maxEventJSON keeps the host.packages event well under the wire's 1 MiB
// per-line limit (the agent adds its identity fields on top).
const maxEventJSON = 900 << 10

// maxWarnings bounds the warnings forwarded to the server.
const maxWarnings = 50

// Event builds the host.packages state event of an inventory. Each package
// is one tab-separated line "name, version, source, source version,
// manager[, ecosystem]" (source columns empty when equal to the binary's,
// ecosystem only when it differs from the OS's) so that a 2,000-package
// host needs a few hundred KiB and a handful of Fields entries. When the
// event would still exceed the wire limit, packages are dropped from the
// end and a warning says so.
func Event(inv inventory.Inventory, smb *winpatch.SMB1) (event.Event, error) {
	ev := event.New(event.KindState, DatasetPackages, "inventory")
	ev.Category = "package"
	ev.HostName = inv.Host
	osEco := inv.OS.Ecosystem()
	lines := make([]string, 0, len(inv.Packages))
	for _, p := range inv.Packages {
		lines = append(lines, packageLine(p, osEco))
	}
	ev.Fields = map[string]any{
		"os":           inv.OS,
		"os.ecosystem": osEco,
		"packages":     lines,
	}
	if len(inv.Hotfixes) > 0 {
		ev.Fields["hotfixes"] = inv.Hotfixes
	}
	if len(inv.Files) > 0 {
		files := make([]string, 0, len(inv.Files))
		for name, v := range inv.Files {
			files = append(files, clean(name)+"\t"+clean(v))
		}
		ev.Fields["files"] = files
	}
	if smb != nil {
		ev.Fields["smb1.server"] = string(smb.Server)
		ev.Fields["smb1.client"] = string(smb.Client)
		ev.Fields["smb1.reason"] = smb.ServerWhy + "; " + smb.ClientWhy
	}
	warnings := inv.Warnings
	if len(warnings) > maxWarnings {
		warnings = append(warnings[:maxWarnings:maxWarnings], fmt.Sprintf("%d more warnings not sent", len(inv.Warnings)-maxWarnings))
	}
	for {
		if len(warnings) > 0 {
			ev.Fields["warnings"] = warnings
		}
		ev.Fields["packages.count"] = len(lines)
		b, err := json.Marshal(&ev)
		if err != nil {
			return ev, fmt.Errorf("posture: encode inventory: %w", err)
		}
		if len(b) <= maxEventJSON {
			ev.Message = fmt.Sprintf("%d packages, %d hotfixes (%s)", len(lines), len(inv.Hotfixes), osName(inv.OS))
			return ev, nil
		}
		// Drop the overshoot (plus 1 %) in one step rather than one by one.
		drop := len(lines) * (len(b) - maxEventJSON) / len(b)
		drop += len(lines)/100 + 1
		if drop >= len(lines) {
			return ev, fmt.Errorf("posture: inventory does not fit in one event (%d bytes)", len(b))
		}
		warnings = append(warnings, fmt.Sprintf("inventory truncated: %d of %d packages not sent (event size limit)", drop, len(lines)))
		lines = lines[:len(lines)-drop]
		ev.Fields["packages"] = lines
	}
}

func packageLine(p inventory.Package, osEco string) string {
	src, srcVer := p.SourceName, p.SourceVersion
	if src == p.Name {
		src = ""
	}
	if srcVer == p.Version {
		srcVer = ""
	}
	cols := []string{clean(p.Name), clean(p.Version), clean(src), clean(srcVer), clean(string(p.Manager))}
	if p.Ecosystem != "" && p.Ecosystem != osEco {
		cols = append(cols, clean(p.Ecosystem))
	}
	return strings.Join(cols, "\t")
}

// clean keeps tabs and newlines out of a column and bounds its length
// (Windows program names come from any installer).
func clean(s string) string {
	if len(s) > 256 {
		s = s[:256]
	}
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func osName(o inventory.OS) string {
	switch {
	case o.PrettyName != "":
		return o.PrettyName
	case o.ProductName != "":
		return strings.TrimSpace(fmt.Sprintf("%s %s build %d.%d", o.ProductName, o.DisplayVersion, o.Build, o.UBR))
	case o.ID != "":
		return o.ID + " " + o.VersionID
	}
	return "unknown OS"
}

// Inventory decodes a host.packages event back into an inventory (server
// side). Ecosystems of distribution packages are derived from the OS.
func Inventory(ev event.Event) (inventory.Inventory, error) {
	var inv inventory.Inventory
	if ev.Dataset != DatasetPackages {
		return inv, fmt.Errorf("posture: dataset %q is not %s", ev.Dataset, DatasetPackages)
	}
	inv.Host = ev.HostName
	if o, ok := ev.Fields["os"]; ok {
		b, err := json.Marshal(o)
		if err == nil {
			err = json.Unmarshal(b, &inv.OS)
		}
		if err != nil {
			return inv, fmt.Errorf("posture: os identity: %w", err)
		}
	}
	for _, l := range StringList(ev.Fields["packages"]) {
		cols := strings.Split(l, "\t")
		if len(cols) < 5 || cols[0] == "" {
			inv.Warnings = append(inv.Warnings, "malformed package line")
			continue
		}
		p := inventory.Package{Name: cols[0], Version: cols[1], SourceName: cols[2], SourceVersion: cols[3], Manager: inventory.Manager(cols[4])}
		if p.SourceName == "" {
			p.SourceName = p.Name
		}
		if p.SourceVersion == "" {
			p.SourceVersion = p.Version
		}
		if len(cols) > 5 {
			p.Ecosystem = cols[5]
		}
		inv.Packages = append(inv.Packages, p)
	}
	inv.Hotfixes = StringList(ev.Fields["hotfixes"])
	for _, l := range StringList(ev.Fields["files"]) {
		name, v, ok := strings.Cut(l, "\t")
		if ok {
			if inv.Files == nil {
				inv.Files = map[string]string{}
			}
			inv.Files[strings.ToLower(name)] = v
		}
	}
	inv.Warnings = append(inv.Warnings, StringList(ev.Fields["warnings"])...)
	inv.SetEcosystem()
	return inv, nil
}

// StringList reads a list-valued field as it comes from the agent
// ([]string) or back from JSON ([]any).
func StringList(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func fieldString(ev event.Event, name string) string {
	switch x := ev.Fields[name].(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	}
	return ""
}

// Collect inventories this host (or the recorded files o names) and
// returns its host.packages event. On Windows the SMBv1 state is read from
// the same registry.
func Collect(ctx context.Context, o inventory.Options) (event.Event, error) {
	inv, err := inventory.Collect(ctx, o)
	if err != nil {
		return event.Event{}, fmt.Errorf("posture: collect: %w", err)
	}
	reg := o.Registry
	if reg == nil && !o.NoLive {
		reg = inventory.LiveRegistry()
	}
	var smb *winpatch.SMB1
	if reg != nil && inv.OS.Family == "windows" {
		s := winpatch.SMB1State(inv.OS, reg, nil)
		smb = &s
	}
	return Event(inv, smb)
}

// CollectLoop collects at start and then every interval (DefaultInterval
// when zero) until ctx ends, handing each event to emit (the agent's spool).
func CollectLoop(ctx context.Context, emit func(...event.Event) error, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ev, err := Collect(ctx, inventory.Options{})
		if err == nil {
			err = emit(ev)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("posture inventory", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
