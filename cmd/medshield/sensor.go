package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/ioc"
	"github.com/medshield/medshield/internal/netsense"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect"
	"github.com/medshield/medshield/internal/netsense/ingest"
)

func cmdSensor() command {
	return command{name: "sensor", summary: "network threat detection on a pcap or an interface (mirror/SPAN port)", run: runSensor}
}

const sensorDescription = `
Analyses network traffic from capture files (pcap or pcapng, recognised by
content) or live from an interface (Linux, AF_PACKET, needs CAP_NET_RAW) and
reports threats: indicator matches (--ioc: plain/Maltrail lists, abuse.ch CSV,
STIX 2.1, MISP JSON), MS17-010 exploitation and DoublePulsar, SMBv1 use,
cryptomining, port scans, lateral movement (PsExec, svcctl, WMI, WinRM, RDP),
C2 beaconing, DNS tunnelling and DGA, large outbound transfers, and patient
data (HL7, DICOM, HTTP with ID/phone/bank-card numbers) leaving the home
networks. Alerts are printed one per line; --eve writes Suricata-EVE JSON
lines (alert, flow, dns, http, tls, smb, dcerpc, hl7, dicom, stratum, rdp).
A summary table follows a capture-file run.

Thresholds live in one YAML file (--config); docs/sensor.md lists every key
and its default. With --server the alerts are also shipped to the medshield
server through the agent transport: enrol the sensor first with
'medshield agent enroll --server URL --token T --ca-fingerprint F --state DIR'.

Examples:
  medshield sensor --pcap capture.pcapng --ioc feeds/threatfox.csv
  medshield sensor --pcap /data/pcaps --eve eve.json --home-net 10.0.0.0/8
  medshield sensor --iface eth1 --ioc trails.txt --eve -
  medshield sensor ingest --eve /var/log/suricata/eve.json --out events.json
`

func runSensor(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "ingest" {
		return runSensorIngest(ctx, e, args[1:])
	}
	fs := newFlags(e, "sensor", "sensor [--pcap FILE|DIR | --iface NAME] [--ioc FILE]... [--home-net CIDR,...] [--config FILE] [--eve FILE|-] [--server URL]", sensorDescription)
	pcap := fs.String("pcap", "", "capture file, or a directory of them (read recursively, in path order)")
	iface := fs.String("iface", "", "network interface to capture from (Linux)")
	var iocs, homeNet stringList
	fs.Var(&iocs, "ioc", "indicator feed file (repeatable); format detected from the content")
	fs.Var(&homeNet, "home-net", "internal networks, comma-separated (default: RFC 1918 and fc00::/7, or home_net in --config)")
	cfgPath := fs.String("config", "", "YAML file with detector thresholds (see docs/sensor.md)")
	evePath := fs.String("eve", "", `write Suricata-EVE JSON lines to FILE ("-" for standard output)`)
	server := fs.String("server", "", "also ship alerts to this medshield server (sensor enrolled with 'medshield agent enroll')")
	state := fs.String("state", agent.DefaultStateDir(), "agent state directory used with --server")
	shipWait := fs.Duration("ship-wait", 30*time.Second, "after a capture-file run, how long to wait for shipped alerts to be acknowledged")
	quiet := fs.Bool("quiet", false, "do not print alerts (the summary and --eve output remain)")
	printConfig := fs.Bool("print-config", false, "print the default configuration (YAML, every threshold) and exit")
	listRules := fs.Bool("list-rules", false, "list the detectors and the rules they raise, and exit")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *printConfig {
		_, err := e.stdout.Write(analysis.DefaultsYAML())
		return err
	}
	if *listRules {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "DETECTOR\tRULE\tSID\tATT&CK\tSEVERITY\tNAME")
		for _, d := range detect.All() {
			for _, r := range d.Rules() {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\n", d.Name(), r.ID, r.SID, r.Technique, r.Severity, r.Name)
			}
		}
		return tw.Flush()
	}
	if (*pcap == "") == (*iface == "") || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "sensor: give exactly one of --pcap or --iface")
		return errUsage
	}
	cfg := analysis.Defaults()
	if *cfgPath != "" {
		var err error
		if cfg, err = analysis.LoadConfig(*cfgPath); err != nil {
			return err
		}
	}
	if len(homeNet) > 0 {
		for _, n := range homeNet {
			if _, err := netip.ParsePrefix(n); err != nil {
				return fmt.Errorf("--home-net %q: %w", n, err)
			}
		}
		cfg.HomeNet = homeNet
	}
	set := ioc.NewSet()
	for _, p := range iocs {
		st, err := set.LoadFile(p)
		var el *ioc.ErrorList
		if errors.As(err, &el) {
			e.log.Warn("indicator feed has bad lines (skipped)", "file", p, "errors", el.Len(), "first", el.Errs[0].Error())
		} else if err != nil {
			return err
		}
		e.log.Info("indicators loaded", "file", p, "format", st.Format.String(), "added", st.Added, "skipped", st.Skipped)
	}

	out := e.stdout
	var eveOut io.Writer
	switch *evePath {
	case "":
	case "-":
		eveOut, out = e.stdout, e.stderr
	default:
		f, err := os.Create(*evePath)
		if err != nil {
			return fmt.Errorf("--eve: %w", err)
		}
		defer f.Close()
		eveOut = f
	}

	var ship func(event.Event)
	var stopShip func()
	if *server != "" {
		var err error
		if ship, stopShip, err = startShipping(ctx, e, *server, *state, *shipWait); err != nil {
			return err
		}
	}
	opts := netsense.Options{Config: cfg, IOC: set, Detectors: detect.All(), EVE: eveOut, Log: e.log,
		OnAlert: func(ev event.Event) {
			if !*quiet {
				fmt.Fprintln(out, alertLine(ev))
			}
			if ship != nil {
				ship(ev)
			}
		}}
	s, err := netsense.New(opts)
	if err != nil {
		return err
	}
	if *iface != "" {
		src, err := capture.OpenLive(*iface, 0)
		if err != nil {
			return err
		}
		defer src.Close()
		e.log.Info("capturing", "interface", *iface)
		err = s.Run(ctx, src)
		s.Flush()
		s.Stats().WriteSummary(out)
		if stopShip != nil {
			stopShip()
		}
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	files, err := netsense.CaptureFiles(*pcap)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no pcap or pcapng files under %s", *pcap)
	}
	failed := 0
	for _, f := range files {
		if err := s.RunFile(ctx, f); err != nil {
			if errors.Is(err, context.Canceled) {
				break
			}
			failed++
			e.log.Error("capture file", "file", f, "err", err)
		}
	}
	fmt.Fprintln(out)
	s.Stats().WriteSummary(out)
	if stopShip != nil {
		stopShip()
	}
	if failed > 0 {
		return &exitCode{code: 2, err: fmt.Errorf("%d of %d capture files could not be read completely", failed, len(files))}
	}
	return nil
}

func alertLine(ev event.Event) string {
	src, dst := "-", "-"
	if ev.Source != nil {
		src = fmt.Sprintf("%s:%d", ev.Source.IP, ev.Source.Port)
	}
	if ev.Destination != nil {
		dst = fmt.Sprintf("%s:%d", ev.Destination.IP, ev.Destination.Port)
	}
	return fmt.Sprintf("%s [%s] %s %s -> %s %s", ev.Timestamp.Format("2006-01-02T15:04:05.000Z"), ev.Rule.Level, ev.Rule.ID, src, dst, ev.Message)
}

// startShipping runs an enrolled agent that uploads the sensor's alerts.
func startShipping(ctx context.Context, e *env, server, state string, wait time.Duration) (func(event.Event), func(), error) {
	c, err := agent.LoadConfig(state)
	if errors.Is(err, agent.ErrNotEnrolled) {
		return nil, nil, fmt.Errorf("--server: the sensor is not enrolled in %s; run 'medshield agent enroll --server %s --token TOKEN --ca-fingerprint SHA256 --state %s' first", state, server, state)
	}
	if err != nil {
		return nil, nil, err
	}
	if strings.TrimRight(c.Server, "/") != strings.TrimRight(server, "/") {
		return nil, nil, fmt.Errorf("--server %s: %s is enrolled with %s", server, state, c.Server)
	}
	a, err := agent.New(agent.Options{StateDir: state, Version: version, Logger: e.log})
	if err != nil {
		return nil, nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	ship := func(ev event.Event) {
		ev.Dataset = "netsense.alert"
		if err := a.Emit(ev); err != nil {
			e.log.Error("spool alert", "err", err)
		}
	}
	stop := func() {
		deadline := time.Now().Add(wait)
		for a.Spool().Stats().Records > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(200 * time.Millisecond)
		}
		if n := a.Spool().Stats().Records; n > 0 {
			e.log.Warn("alerts not yet acknowledged by the server stay spooled for the next run", "records", n)
		}
		cancel()
		<-done
	}
	return ship, stop, nil
}

func runSensorIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sensor ingest", "sensor ingest (--eve FILE | --zeek DIR|FILE) [--out FILE|-] [--server URL [--state DIR]]", `
Converts existing network logs into medshield events: Suricata EVE JSON
lines (alert, dns in the EVE v2 and v3 layouts, http, tls, flow, others
generically) and Zeek logs (header-driven TSV or JSON lines; conn, dns, http,
ssl, x509, files, weird, notice and others). Suricata alerts and Zeek notices
become alerts. Events are written as JSON lines (--out, default standard
output) and, with --server, shipped through the agent transport. Lines that
cannot be parsed are reported as file:line and skipped.`)
	evePath := fs.String("eve", "", "Suricata EVE JSON file")
	zeekPath := fs.String("zeek", "", "Zeek log directory (*.log, *.json) or one log file")
	outPath := fs.String("out", "-", `where to write the events as JSON lines ("-" for standard output, "" for none)`)
	server := fs.String("server", "", "also ship the events to this medshield server (enrolled with 'medshield agent enroll')")
	state := fs.String("state", agent.DefaultStateDir(), "agent state directory used with --server")
	shipWait := fs.Duration("ship-wait", 30*time.Second, "how long to wait for shipped events to be acknowledged")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if (*evePath == "") == (*zeekPath == "") || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "sensor ingest: give exactly one of --eve or --zeek")
		return errUsage
	}
	var enc *json.Encoder
	switch *outPath {
	case "":
	case "-":
		enc = json.NewEncoder(e.stdout)
	default:
		f, err := os.Create(*outPath)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer f.Close()
		enc = json.NewEncoder(f)
	}
	var ship func(event.Event)
	var stopShip func()
	if *server != "" {
		var err error
		if ship, stopShip, err = startShipping(ctx, e, *server, *state, *shipWait); err != nil {
			return err
		}
	}
	var werr error
	emit := func(ev event.Event) {
		if enc != nil && werr == nil {
			werr = enc.Encode(ev)
		}
		if ship != nil {
			ship(ev)
		}
	}
	var st ingest.Stats
	var err error
	switch {
	case *evePath != "":
		f, ferr := os.Open(*evePath)
		if ferr != nil {
			return fmt.Errorf("--eve: %w", ferr)
		}
		st, err = ingest.ReadEVE(f, *evePath, emit)
		f.Close()
	default:
		if fi, serr := os.Stat(*zeekPath); serr == nil && !fi.IsDir() {
			f, ferr := os.Open(*zeekPath)
			if ferr != nil {
				return fmt.Errorf("--zeek: %w", ferr)
			}
			st, err = ingest.ReadZeek(f, *zeekPath, emit)
			f.Close()
		} else {
			st, err = ingest.ReadZeekDir(*zeekPath, emit)
		}
	}
	if stopShip != nil {
		stopShip()
	}
	for _, msg := range st.Errors {
		fmt.Fprintln(e.stderr, msg)
	}
	fmt.Fprintf(e.stderr, "ingested %d events (%d alerts) from %d lines, %d skipped\n", st.Events, st.Alerts, st.Lines, st.Skipped)
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("write events: %w", werr)
	}
	if st.Skipped > 0 {
		return &exitCode{code: 2, err: fmt.Errorf("%d lines could not be ingested", st.Skipped)}
	}
	return nil
}
