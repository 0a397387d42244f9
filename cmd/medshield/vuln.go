package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/medshield/medshield/internal/vuln"
	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/internal/vuln/osv"
	"github.com/medshield/medshield/internal/vuln/winpatch"
)

func cmdVuln() command {
	return command{name: "vuln", summary: "vulnerability posture: inventory, OSV matching, Windows patch checks", run: runVuln}
}

const vulnHelp = `Usage: medshield vuln <subcommand> [flags]

Subcommands:
  scan         inventory this host (or given inventory files) and match it against OSV data
  inventory    print this host's inventory as JSON (to match it elsewhere with scan --inventory)
  db import    store an OSV export (all.zip or a directory of records) in the data directory
  db update    download the per-ecosystem all.zip exports and import them
  db status    list the imported exports and flag stale ones

Run 'medshield vuln <subcommand> --help' for its flags. Documentation: docs/vuln.md
`

func runVuln(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "vuln", args, map[string]func([]string) error{
		"scan":      func(a []string) error { return runVulnScan(ctx, e, a, false) },
		"inventory": func(a []string) error { return runVulnScan(ctx, e, a, true) },
		"db":        func(a []string) error { return runVulnDB(ctx, e, a) },
	}, vulnHelp)
}

const vulnScanDescription = `
Collects the installed packages (dpkg status with source packages, the rpm
sqlite database, the apk database, Go binaries' build info, npm and Python
lockfiles given with --lockfile; on Windows the
installed programs, hotfixes and build from the registry) and the OS
identity, then matches source packages against OSV records of the host's own
release (Debian:12, Ubuntu:22.04:LTS, Alpine:v3.19, ...). Each finding names
the package, installed version, affected range, fixed version and every
advisory and CVE id. Windows hosts also get the offline patch checks
(MS17-010, BlueKeep, Zerologon, PrintNightmare, SMBGhost) and SMBv1 state.

Without inventory flags this host is inventoried. With --dpkg-status,
--rpm-db, --apk-db, --os-release, --registry, --hotfixes or --lockfile only
the given files are read (inventories recorded on another host).

OSV data: --osv (repeatable: all.zip files or directories) or the data
directory's imported exports (see 'medshield vuln db import').

Exit status: 0 no findings, 1 findings, 2 errors.`

func runVulnScan(ctx context.Context, e *env, args []string, inventoryOnly bool) error {
	fs := newFlags(e, "vuln scan", "vuln scan [--dpkg-status FILE] [--rpm-db PATH] [--os-release FILE] [--inventory FILE.json] [--osv DIR|ZIP]... [--format table|jsonl]", vulnScanDescription)
	if inventoryOnly {
		fs = newFlags(e, "vuln inventory", "vuln inventory [--dpkg-status FILE] [--rpm-db PATH] [--os-release FILE] [--root DIR] ...", `
Collects the inventory exactly as 'vuln scan' does and prints it as JSON
(OS identity, packages with source names, hotfixes, file versions,
warnings), for matching on another machine with 'vuln scan --inventory'.`)
	}
	invFile := fs.String("inventory", "", "inventory JSON written by 'medshield vuln inventory' (instead of collecting)")
	dpkg := fs.String("dpkg-status", "", "dpkg status file (default on this host: /var/lib/dpkg/status)")
	rpmdb := fs.String("rpm-db", "", "rpmdb.sqlite file or directory holding it")
	apk := fs.String("apk-db", "", "apk installed database (lib/apk/db/installed)")
	osRelease := fs.String("os-release", "", "os-release file")
	root := fs.String("root", "", "read the standard locations under this root (a mounted image)")
	regFile := fs.String("registry", "", "recorded registry export (.reg) of a Windows host")
	hotfixes := fs.String("hotfixes", "", "recorded hotfix list (Get-HotFix CSV, wmic qfe, systeminfo or one KB per line)")
	srvSys := fs.String("srv-sys-version", "", "version of %SystemRoot%\\System32\\drivers\\srv.sys (MS17-010 evidence; read from the file on a live Windows host)")
	dc := fs.Bool("domain-controller", false, "the Windows host is a domain controller (Zerologon)")
	var osvPaths, goPaths, lockfiles stringList
	fs.Var(&osvPaths, "osv", "OSV all.zip file or directory of records (repeatable)")
	fs.Var(&lockfiles, "lockfile", "package-lock.json, requirements*.txt or poetry.lock to include (repeatable)")
	fs.Var(&goPaths, "go-path", "directory to search for Go binaries (repeatable)")
	data := fs.String("data", defaultDataDir, "data directory with imported OSV exports (used when --osv is not given)")
	format := fs.String("format", "table", "output format: table or jsonl")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *format != "table" && *format != "jsonl" {
		fmt.Fprintf(e.stderr, "vuln scan: unknown format %q (table or jsonl)\n", *format)
		return errUsage
	}
	opts := inventory.Options{Root: *root, DpkgStatus: *dpkg, RPMDB: *rpmdb, APKDB: *apk, OSRelease: *osRelease, GoPaths: goPaths, Lockfiles: lockfiles}
	opts.OnlyExplicit = *dpkg != "" || *rpmdb != "" || *apk != "" || *osRelease != "" || *regFile != "" || *hotfixes != "" || len(lockfiles) > 0
	if opts.OnlyExplicit || *root != "" {
		opts.NoLive = true
	}
	if *regFile != "" {
		f, err := os.Open(*regFile)
		if err != nil {
			return &exitCode{code: 2, err: err}
		}
		reg, err := inventory.ParseRegFile(f)
		f.Close()
		if err != nil {
			return &exitCode{code: 2, err: fmt.Errorf("%s: %w", *regFile, err)}
		}
		opts.Registry = reg
	}
	var inv inventory.Inventory
	if *invFile != "" {
		b, err := os.ReadFile(*invFile)
		if err != nil {
			return &exitCode{code: 2, err: err}
		}
		if err := json.Unmarshal(b, &inv); err != nil {
			return &exitCode{code: 2, err: fmt.Errorf("%s: %w", *invFile, err)}
		}
		opts.NoLive = true
	} else {
		var err error
		if inv, err = inventory.Collect(ctx, opts); err != nil {
			return &exitCode{code: 2, err: err}
		}
	}
	if *hotfixes != "" {
		f, err := os.Open(*hotfixes)
		if err != nil {
			return &exitCode{code: 2, err: err}
		}
		kbs, err := inventory.ParseHotfixList(f)
		f.Close()
		if err != nil {
			return &exitCode{code: 2, err: err}
		}
		inv.Hotfixes = append(inv.Hotfixes, kbs...)
		if inv.OS.Family == "" {
			inv.OS.Family = "windows"
		}
	}
	for _, w := range inv.Warnings {
		e.log.Warn("inventory", "problem", w)
	}
	if inventoryOnly {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(inv); err != nil {
			return &exitCode{code: 2, err: err}
		}
		return nil
	}

	var findings []vuln.Finding
	if hasDistroPackages(inv) {
		db, err := loadOSV(ctx, e, osvPaths, *data)
		if err != nil {
			return &exitCode{code: 2, err: err}
		}
		start := time.Now()
		findings = vuln.NewMatcher(db).Match(inv)
		e.log.Debug("matched", "packages", len(inv.Packages), "findings", len(findings), "took", time.Since(start))
	}
	var patches []winpatch.Result
	var smb1 *winpatch.SMB1
	if inv.OS.Family == "windows" {
		reg := opts.Registry
		if reg == nil && !opts.NoLive {
			reg = inventory.LiveRegistry()
		}
		if reg != nil {
			st := winpatch.SMB1State(inv.OS, reg, nil)
			smb1 = &st
		}
		h := winpatch.Host{OS: inv.OS, Hotfixes: inv.Hotfixes, Files: inv.Files, DomainController: *dc}
		if *srvSys != "" {
			h.Files = map[string]string{"srv.sys": *srvSys}
		}
		patches = winpatch.Evaluate(h)
	}
	if *format == "jsonl" {
		if err := vuln.WriteJSONL(e.stdout, findings); err != nil {
			return &exitCode{code: 2, err: err}
		}
		enc := json.NewEncoder(e.stdout)
		for _, p := range patches {
			enc.Encode(struct {
				Kind string `json:"kind"`
				winpatch.Result
			}{"windows-patch", p})
		}
		if smb1 != nil {
			enc.Encode(struct {
				Kind string `json:"kind"`
				winpatch.SMB1
			}{"smb1", *smb1})
		}
	} else {
		host := inv.Host
		if host == "" {
			host = "(recorded inventory)"
		}
		fmt.Fprintf(e.stdout, "host %s: %s, %d packages\n\n", host, osName(inv.OS), len(inv.Packages))
		if err := vuln.WriteTable(e.stdout, findings); err != nil {
			return &exitCode{code: 2, err: err}
		}
		if len(patches) > 0 {
			fmt.Fprintln(e.stdout, "\nWindows patch checks:")
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			for _, p := range patches {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.ID, p.Status, p.Reason)
			}
			if smb1 != nil {
				fmt.Fprintf(tw, "  SMBv1 server\t%s\t%s\n", smb1State(smb1.Server), smb1.ServerWhy)
				fmt.Fprintf(tw, "  SMBv1 client\t%s\t%s\n", smb1State(smb1.Client), smb1.ClientWhy)
			}
			tw.Flush()
		}
	}
	vulnerable := len(findings) > 0 || (smb1 != nil && smb1.Server == winpatch.Vulnerable)
	for _, p := range patches {
		vulnerable = vulnerable || p.Status == winpatch.Vulnerable
	}
	if vulnerable {
		return &exitCode{code: 1}
	}
	return nil
}

func hasDistroPackages(inv inventory.Inventory) bool {
	for _, p := range inv.Packages {
		if p.Ecosystem != "" {
			return true
		}
	}
	return false
}

func osName(o inventory.OS) string {
	if o.PrettyName != "" {
		return o.PrettyName
	}
	if eco := o.Ecosystem(); eco != "" {
		return eco
	}
	if o.ID != "" {
		return o.ID
	}
	return "unknown OS"
}

func loadOSV(ctx context.Context, e *env, paths []string, data string) (*osv.DB, error) {
	if len(paths) == 0 {
		dir := osv.Dir(data)
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("no vulnerability data: give --osv DIR|ZIP or import an export with 'medshield vuln db import FILE --data %s'", data)
		}
		paths = []string{dir}
		if m, err := osv.ReadManifest(data); err == nil {
			for _, s := range m.Stale(time.Now(), 7*24*time.Hour) {
				e.log.Warn("vulnerability data is stale", "source", s.Name, "imported", s.ImportedAt.Format(time.DateOnly))
			}
		}
	}
	db := osv.NewDB()
	start := time.Now()
	for _, p := range paths {
		if err := db.Load(ctx, p); err != nil {
			return nil, err
		}
	}
	for i, p := range db.Problems {
		if i == 20 {
			e.log.Warn("more OSV problems not shown", "count", len(db.Problems)-20)
			break
		}
		e.log.Warn("OSV record skipped", "problem", p.String())
	}
	e.log.Debug("loaded OSV", "records", db.Len(), "withdrawn", db.Stats.Withdrawn, "rejected", db.Stats.Rejected, "took", time.Since(start))
	if db.Len() == 0 {
		return nil, errors.New("the OSV data holds no usable records")
	}
	return db, nil
}

const vulnDBHelp = `Usage: medshield vuln db <import|update|status> [flags]

  import FILE.zip|DIR   store an OSV export under DATA/vuln/osv (checked first)
  update                download BASE/<ecosystem>/all.zip for each ecosystem and import it
  status                list imported exports with their age and record counts
`

func runVulnDB(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "vuln db", args, map[string]func([]string) error{
		"import": func(a []string) error { return runVulnDBImport(ctx, e, a) },
		"update": func(a []string) error { return runVulnDBUpdate(ctx, e, a) },
		"status": func(a []string) error { return runVulnDBStatus(e, a) },
	}, vulnDBHelp)
}

func runVulnDBImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "vuln db import", "vuln db import FILE.zip|DIR [--name NAME] [--data DIR]", `
Checks an OSV export (osv.dev's per-ecosystem all.zip, or a directory of
.json records) and stores it as DATA/vuln/osv/NAME.zip, replacing an earlier
import of the same name, and records it in DATA/vuln/manifest.json. The
server and 'vuln scan' load everything stored there.`)
	data := fs.String("data", defaultDataDir, "data directory")
	name := fs.String("name", "", "name of the stored export (default: from the file or directory name)")
	pos, err := parseInterleaved(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "vuln db import: give exactly one FILE.zip or DIR")
		return errUsage
	}
	s, err := osv.Import(ctx, pos[0], *data, *name, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %s: %d records (%d withdrawn, %d rejected) into %s\n", s.Name, s.Records, s.Withdrawn, s.Rejected, osv.Dir(*data))
	return nil
}

func runVulnDBUpdate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "vuln db update", "vuln db update [--url BASE] [--ecosystem NAME]... [--data DIR]", `
Downloads BASE/<ecosystem>/all.zip (the layout of osv.dev's public export
bucket) for each ecosystem and imports it. Use it on a server with internet
access, or point --url at a local mirror. One failed ecosystem does not stop
the others.`)
	data := fs.String("data", defaultDataDir, "data directory")
	base := fs.String("url", "https://osv-vulnerabilities.storage.googleapis.com", "base URL of the export bucket or mirror")
	timeout := fs.Duration("timeout", 30*time.Minute, "time limit for all downloads")
	var ecos stringList
	fs.Var(&ecos, "ecosystem", "ecosystem to download (repeatable or comma-separated; default: "+strings.Join(osv.DefaultEcosystems, ", ")+")")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if len(ecos) == 0 {
		ecos = osv.DefaultEcosystems
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	got, err := osv.Update(ctx, &http.Client{}, *base, ecos, *data)
	for _, s := range got {
		fmt.Fprintf(e.stdout, "updated %s: %d records\n", s.Name, s.Records)
	}
	return err
}

func runVulnDBStatus(e *env, args []string) error {
	fs := newFlags(e, "vuln db status", "vuln db status [--data DIR] [--max-age DURATION]", `
Lists the imported OSV exports with their import time and record counts,
and marks those older than --max-age as stale (exit status 1 if any).`)
	data := fs.String("data", defaultDataDir, "data directory")
	maxAge := fs.Duration("max-age", 7*24*time.Hour, "age after which an export is stale")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	m, err := osv.ReadManifest(*data)
	if err != nil {
		return err
	}
	if len(m.Sources) == 0 {
		fmt.Fprintln(e.stdout, "no OSV exports imported")
		return &exitCode{code: 1}
	}
	stale := map[string]bool{}
	for _, s := range m.Stale(time.Now(), *maxAge) {
		stale[s.Name] = true
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tIMPORTED\tRECORDS\tSTATE\tORIGIN")
	for _, s := range m.Sources {
		state := "fresh"
		if stale[s.Name] {
			state = "STALE"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", s.Name, s.ImportedAt.Format(time.RFC3339), s.Records, state, s.Origin)
	}
	tw.Flush()
	if len(stale) > 0 {
		return &exitCode{code: 1}
	}
	return nil
}

// parseInterleaved parses flags given before, between or after positional
// arguments ("import DIR --data X") and returns the positional ones.
func parseInterleaved(e *env, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(e, fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func smb1State(s winpatch.Status) string {
	switch s {
	case winpatch.Vulnerable:
		return "ENABLED"
	case winpatch.Patched:
		return "disabled"
	}
	return "unknown"
}
