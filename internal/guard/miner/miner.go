package miner

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medshield/medshield/internal/ioc"
)

// ErrUnsupported is returned by Scan on platforms without an implementation.
var ErrUnsupported = errors.New("miner detection is not supported on this platform")

// Indicators are optional threat-intelligence sets; *ioc.Set satisfies it.
type Indicators interface {
	LookupIP(netip.Addr) (ioc.Match, bool)
	LookupDomain(string) (ioc.Match, bool)
}

// DefaultStratumPorts are ports public pools commonly serve stratum on.
// Ports shared with common services (80, 443, 8080, 8888, 9000) are left
// out on purpose: they would add noise without evidence.
var DefaultStratumPorts = []uint16{3333, 3334, 3335, 3336, 3357, 4444, 5555, 5556, 6666, 7777, 9999, 10001, 10128, 10300, 14433, 14444, 17777, 18081, 19999, 20535, 45560, 45700}

// DefaultPackagePaths are where package managers install binaries; a
// process running from here is not flagged for CPU alone.
var DefaultPackagePaths = []string{"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/lib/", "/usr/lib64/", "/usr/libexec/", "/lib/", "/lib64/", "/snap/", "/usr/share/", "/nix/store/"}

var tempDirs = []string{"/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/"}

// Options tune a Detector; zero values take the documented defaults.
type Options struct {
	CPUThreshold float64       // percent of one core counted as high (default 80)
	Sustain      time.Duration // how long CPU must stay high (default 5m)
	StratumPorts []uint16      // default DefaultStratumPorts
	PackagePaths []string      // path prefixes; default DefaultPackagePaths
	AllowExe     []string      // binaries never flagged for CPU (exact paths)
	PoolDomains  []string      // extra pool domains (the built-in list stays)
	Indicators   Indicators    // optional IP/domain sets
	Threshold    int           // score from which a process is reported (default 50)
	Self         int           // pid never reported (the agent); 0: none
}

// Finding is a process judged to be mining, with its evidence.
type Finding struct {
	Time       time.Time        `json:"time"`
	PID        int              `json:"pid"`
	PPID       int              `json:"ppid"`
	Name       string           `json:"name"`
	Exe        string           `json:"exe"` // binary to quarantine ("" if unknown)
	ExeDeleted bool             `json:"exe_deleted,omitempty"`
	Cmdline    []string         `json:"cmdline"`
	Remote     []netip.AddrPort `json:"remote,omitempty"` // established TCP peers
	Pools      []Pool           `json:"pools,omitempty"`  // pools named on the command line
	CPUPercent float64          `json:"cpu_percent"`      // over the last interval; -1 before two samples
	Reasons    []Reason         `json:"reasons"`
	Score      int              `json:"score"`
	start      uint64
}

// procInfo is one process in a snapshot.
type procInfo struct {
	PID, PPID int
	Start     uint64 // start time in clock ticks since boot: with PID, the identity
	Comm      string
	Exe       string // may end in " (deleted)"
	Argv      []string
	CPUTicks  uint64 // utime+stime
	Remote    []netip.AddrPort
}

type snapshot struct {
	at    time.Time
	procs []procInfo
}

type procKey struct {
	pid   int
	start uint64
}

type cpuTrack struct {
	ticks     uint64
	at        time.Time
	highSince time.Time
}

// Detector keeps CPU history between scans. Safe for use by one goroutine
// at a time (Scan serialises itself).
type Detector struct {
	o      Options
	ports  map[uint16]bool
	read   func(context.Context) (snapshot, error)
	mu     sync.Mutex
	cpu    map[procKey]*cpuTrack
	report map[procKey]int // best score reported by Run
}

// New returns a Detector.
func New(o Options) *Detector {
	if o.CPUThreshold <= 0 {
		o.CPUThreshold = 80
	}
	if o.Sustain <= 0 {
		o.Sustain = 5 * time.Minute
	}
	if o.StratumPorts == nil {
		o.StratumPorts = DefaultStratumPorts
	}
	if o.PackagePaths == nil {
		o.PackagePaths = DefaultPackagePaths
	}
	if o.Threshold <= 0 {
		o.Threshold = 50
	}
	d := &Detector{o: o, ports: map[uint16]bool{}, read: readSnapshot, cpu: map[procKey]*cpuTrack{}, report: map[procKey]int{}}
	for _, p := range o.StratumPorts {
		d.ports[p] = true
	}
	return d
}

// isPoolDomain answers for analyzeCmdline: ("", true) for a built-in pool
// domain, (" (indicator: ...)", true) for an indicator hit.
func (d *Detector) isPoolDomain(host string) (string, bool) {
	if d.o.Indicators != nil {
		if m, ok := d.o.Indicators.LookupDomain(host); ok {
			return fmt.Sprintf(" (indicator %s: %s)", m.Indicator, m.Threat), true
		}
	}
	if builtinPoolDomain(host) {
		return "", true
	}
	for _, p := range d.o.PoolDomains {
		p = strings.ToLower(strings.TrimSuffix(p, "."))
		if host == p || strings.HasSuffix(host, "."+p) {
			return "", true
		}
	}
	return "", false
}

// Scan takes one snapshot of the processes and returns those scoring at
// least the threshold, highest score first. CPU use is measured against the
// previous Scan, so sustained CPU needs Scan to be called periodically
// (Run does that).
func (d *Detector) Scan(ctx context.Context) ([]Finding, error) {
	snap, err := d.read(ctx)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	seen := make(map[procKey]bool, len(snap.procs))
	var out []Finding
	for i := range snap.procs {
		p := &snap.procs[i]
		if p.PID == d.o.Self {
			continue
		}
		k := procKey{p.PID, p.Start}
		seen[k] = true
		if f, ok := d.judge(p, k, snap.at); ok {
			out = append(out, f)
		}
	}
	for k := range d.cpu {
		if !seen[k] {
			delete(d.cpu, k)
			delete(d.report, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].PID < out[j].PID
	})
	return out, nil
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture medshield builds for (it is fixed in the kernel ABI).
const clockTicks = 100

func (d *Detector) judge(p *procInfo, k procKey, now time.Time) (Finding, bool) {
	cpu := -1.0
	tr := d.cpu[k]
	if tr == nil {
		tr = &cpuTrack{}
		d.cpu[k] = tr
	} else if dt := now.Sub(tr.at).Seconds(); dt > 0 && p.CPUTicks >= tr.ticks {
		cpu = float64(p.CPUTicks-tr.ticks) / clockTicks / dt * 100
		if cpu >= d.o.CPUThreshold {
			if tr.highSince.IsZero() {
				tr.highSince = tr.at
			}
		} else {
			tr.highSince = time.Time{}
		}
	}
	tr.ticks, tr.at = p.CPUTicks, now

	exe := strings.TrimSuffix(p.Exe, " (deleted)")
	deleted := exe != p.Exe
	facts := analyzeCmdline(p.Argv, p.Exe, d.isPoolDomain)
	reasons := facts.reasons
	have := map[string]bool{}
	for _, r := range reasons {
		have[r.Code] = true
	}
	add := func(code, detail string) {
		if !have[code] {
			have[code] = true
			reasons = append(reasons, reason(code, detail))
		}
	}
	for _, ra := range p.Remote {
		if d.ports[ra.Port()] {
			add(ReasonStratumPort, fmt.Sprintf("connected to %s (a stratum port)", ra))
		}
		for _, pool := range facts.pools {
			if pool.Port != ra.Port() {
				continue
			}
			if ip, err := netip.ParseAddr(pool.Host); err != nil || ip.Unmap() == ra.Addr() {
				add(ReasonPoolConnection, fmt.Sprintf("connected to %s, the pool %s:%d on its command line", ra, pool.Host, pool.Port))
			}
		}
		if d.o.Indicators != nil {
			if m, ok := d.o.Indicators.LookupIP(ra.Addr()); ok {
				add(ReasonIndicator, fmt.Sprintf("connected to %s (indicator %s: %s)", ra, m.Indicator, m.Threat))
			}
		}
	}
	if !tr.highSince.IsZero() && now.Sub(tr.highSince) >= d.o.Sustain && exe != "" && !d.packaged(exe) {
		add(ReasonSustainedCPU, fmt.Sprintf("%.0f%% of a core for %s, binary %s is not in a package-managed path", cpu, now.Sub(tr.highSince).Round(time.Second), exe))
	}
	if len(reasons) > 0 {
		// Boosters: suspicious, but never enough alone.
		if deleted {
			add(ReasonExeDeleted, exe+" was deleted after it started")
		}
		for _, t := range tempDirs {
			if strings.HasPrefix(exe, t) {
				add(ReasonExeTemp, "runs from "+t)
			}
		}
	}
	score := 0
	for _, r := range reasons {
		score += r.Weight
	}
	score = min(score, 100)
	if score < d.o.Threshold {
		return Finding{}, false
	}
	name := p.Comm
	if len(p.Argv) > 0 {
		name = filepath.Base(p.Argv[0])
	}
	return Finding{Time: now, PID: p.PID, PPID: p.PPID, Name: name, Exe: exe, ExeDeleted: deleted, Cmdline: p.Argv,
		Remote: p.Remote, Pools: facts.pools, CPUPercent: cpu, Reasons: reasons, Score: score, start: p.Start}, true
}

func (d *Detector) packaged(exe string) bool {
	for _, a := range d.o.AllowExe {
		if exe == a {
			return true
		}
	}
	for _, p := range d.o.PackagePaths {
		if strings.HasPrefix(exe, p) {
			return true
		}
	}
	return false
}

// Run scans every interval until ctx ends (then it returns nil) and calls emit for each process
// the first time it is found and again whenever its score rises.
func (d *Detector) Run(ctx context.Context, interval time.Duration, emit func(Finding)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fs, err := d.Scan(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, f := range fs {
			k := procKey{f.PID, f.start}
			d.mu.Lock()
			prev, seen := d.report[k]
			if !seen || f.Score > prev {
				d.report[k] = f.Score
			}
			d.mu.Unlock()
			if !seen || f.Score > prev {
				emit(f)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
