package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/medshield/medshield/internal/agent/inventory"
	"github.com/medshield/medshield/internal/agent/spool"
	"github.com/medshield/medshield/internal/agent/upload"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/guard"
	"github.com/medshield/medshield/internal/guard/miner"
	"github.com/medshield/medshield/internal/posture"
	"github.com/medshield/medshield/internal/quarantine"
	"github.com/medshield/medshield/internal/response"
	"github.com/medshield/medshield/internal/scansched"
	"github.com/medshield/medshield/internal/tamper"
)

// Options configure an agent.
type Options struct {
	StateDir       string
	Version        string
	Logger         *slog.Logger
	HeartbeatEvery time.Duration // default 30 s
	InventoryEvery time.Duration // default 6 h
	Spool          spool.Options
	Upload         upload.Options
	// Protect enables the ransomware shield on these folders (needs root on
	// Linux); KillRansomware lets it kill the offending process tree.
	Protect        []string
	KillRansomware bool
	// BackupMax bounds the protected-folder backup in STATE/backup
	// (default 1 GiB); `medshield agent restore --incident ID` uses it.
	BackupMax int64
	// Miners enables cryptominer detection (Linux); KillMiners kills them
	// (and quarantines their binary), otherwise they are only reported.
	Miners     bool
	KillMiners bool
	// Scanner, when set, enables malware scanning: Scan holds the scheduled
	// scans and on-access folders; "scan-path" commands use it too.
	Scanner scansched.Scanner
	Scan    scansched.Config
	// QuarantineDetections moves files found by scans into quarantine.
	QuarantineDetections bool
	// AdjustResponse, when set, may change the active-response executor
	// before the agent runs (tests run isolation inside a network namespace).
	AdjustResponse func(*response.Executor)
	// TamperProtection checks and repairs the permissions of the state
	// directory and the agent binary at start and reports every change to
	// them made by anyone but the agent.
	TamperProtection bool
}

// Agent is an enrolled, running agent.
type Agent struct {
	opts    Options
	cfg     Config
	log     *slog.Logger
	spool   *spool.Spool
	client  *http.Client
	started time.Time
	resp    *response.Executor
	scans   *scansched.Service

	emitMu sync.Mutex
}

// New loads an enrolled agent's state and opens its spool.
func New(opts Options) (*Agent, error) {
	if opts.HeartbeatEvery == 0 {
		opts.HeartbeatEvery = 30 * time.Second
	}
	if opts.InventoryEvery == 0 {
		opts.InventoryEvery = 6 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg, err := LoadConfig(opts.StateDir)
	if err != nil {
		return nil, err
	}
	tlsCfg, err := ClientTLS(opts.StateDir)
	if err != nil {
		return nil, err
	}
	log := opts.Logger.With("component", "agent", "agent", cfg.AgentID)
	opts.Spool.Logger = log
	sp, err := spool.Open(filepath.Join(opts.StateDir, spoolDir), opts.Spool)
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	tr := &http.Transport{TLSClientConfig: tlsCfg, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second, ResponseHeaderTimeout: 2 * time.Minute}
	a := &Agent{opts: opts, cfg: cfg, log: log, spool: sp, client: &http.Client{Transport: tr}, started: time.Now()}
	q, err := quarantine.Open(filepath.Join(opts.StateDir, "quarantine"))
	if err != nil {
		log.Warn("quarantine store unavailable; quarantine commands will fail", "err", err)
	}
	// The server's addresses are resolved now: once isolated, DNS may be
	// blocked, and isolation must always keep the server reachable.
	servers, err := response.ServerAddrs(context.Background(), cfg.Server)
	if err != nil {
		log.Warn("cannot resolve the server for isolation", "err", err)
	}
	a.resp = &response.Executor{Quarantine: q, Servers: servers, Log: log}
	if opts.AdjustResponse != nil {
		opts.AdjustResponse(a.resp)
	}
	if opts.Scanner != nil {
		cfg := opts.Scan
		if cfg.CachePath == "" {
			cfg.CachePath = filepath.Join(opts.StateDir, "scan-cache.jsonl")
		}
		a.scans, err = scansched.New(cfg, opts.Scanner, scansched.Callbacks{
			Finding: a.onDetection,
			Summary: func(sm scansched.Summary) { _ = a.Emit(sm.Event()) },
		}, log)
		if err != nil {
			return nil, fmt.Errorf("scanning: %w", err)
		}
	}
	return a, nil
}

// onDetection records a malware detection and, when configured,
// quarantines the file.
func (a *Agent) onDetection(f scansched.Finding) {
	ev := f.Event()
	if a.opts.QuarantineDetections && a.resp.Quarantine != nil && f.Path != "" {
		rule := ""
		if len(f.Detections) > 0 {
			rule = f.Detections[0].Namespace + ":" + f.Detections[0].Rule
		}
		if rec, err := a.resp.Quarantine.Quarantine(f.Path, quarantine.Reason{Rule: rule, Source: "scan"}); err == nil {
			ev.Action = "quarantined"
			if ev.Labels == nil {
				ev.Labels = map[string]string{}
			}
			ev.Labels["quarantine.id"] = rec.ID
		} else {
			a.log.Warn("quarantine detection", "err", err)
		}
	}
	if err := a.Emit(ev); err != nil {
		a.log.Error("spool detection", "err", err)
	}
}

// Config returns the agent's enrolment configuration.
func (a *Agent) Config() Config { return a.cfg }

// Spool exposes the spool (for status and tests).
func (a *Agent) Spool() *spool.Spool { return a.spool }

// Emit stamps events with the agent's identity and appends them durably to
// the spool. When Emit returns nil the events survive a crash of the agent.
func (a *Agent) Emit(evs ...event.Event) error {
	recs := make([][]byte, 0, len(evs))
	for i := range evs {
		ev := &evs[i]
		if ev.ID == "" {
			ev.ID = event.NewID()
		}
		if ev.Timestamp.IsZero() {
			ev.Timestamp = time.Now().UTC()
		}
		if ev.Kind == "" {
			ev.Kind = event.KindEvent
		}
		ev.AgentID = a.cfg.AgentID
		if ev.HostID == "" {
			ev.HostID = a.cfg.AgentID
		}
		if ev.HostName == "" {
			ev.HostName = a.cfg.HostName
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		recs = append(recs, b)
	}
	a.emitMu.Lock()
	defer a.emitMu.Unlock()
	return a.spool.Append(recs...)
}

// Run uploads spooled events, sends heartbeats, executes commands and runs
// the inventory collector until ctx is cancelled. On return the spool is
// closed; anything not acknowledged stays in it for the next start.
func (a *Agent) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	up := a.opts.Upload
	up.URL = a.cfg.Server + "/api/v1/agent/events"
	up.Client = a.client
	up.Source = a.spool
	up.Logger = a.log
	if up.ShutdownGrace == 0 {
		up.ShutdownGrace = 5 * time.Second
	}
	u, err := upload.New(up)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	run := func(name string, f func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
			a.log.Debug("loop stopped", "loop", name)
		}()
	}
	run("upload", func(ctx context.Context) {
		if err := u.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("uploader stopped", "err", err)
		}
	})
	run("heartbeat", a.heartbeatLoop)
	run("commands", a.commandLoop)
	run("inventory", a.inventoryLoop)
	run("posture", func(ctx context.Context) { posture.CollectLoop(ctx, a.Emit, a.opts.InventoryEvery, a.log) })
	run("baseline", a.baselineLoop)
	if len(a.opts.Protect) > 0 {
		run("guard", a.guardLoop)
	}
	if a.opts.Miners {
		run("miners", a.minerLoop)
	}
	if a.opts.TamperProtection {
		run("tamper", a.tamperLoop)
	}
	if a.scans != nil {
		run("scans", func(ctx context.Context) {
			if err := a.scans.Run(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("scanning stopped", "err", err)
			}
		})
	}
	a.log.Info("agent running", "server", a.cfg.Server, "hospital", a.cfg.Hospital, "department", a.cfg.Department)
	pidPath := filepath.Join(a.opts.StateDir, pidFile)
	_ = os.WriteFile(pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	defer os.Remove(pidPath)
	<-ctx.Done()
	wg.Wait()
	return a.spool.Close()
}

func (a *Agent) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(a.opts.HeartbeatEvery)
	defer t.Stop()
	for {
		a.reportDropped()
		st := a.spool.Stats()
		hb := map[string]any{
			"version": a.opts.Version, "os": runtime.GOOS + "/" + runtime.GOARCH, "hostname": a.cfg.HostName,
			"uptime_sec": int64(time.Since(a.started).Seconds()), "spool_depth": int64(st.Records), "dropped": int64(st.Dropped),
		}
		if err := a.postJSON(ctx, "/api/v1/agent/heartbeat", hb, nil); err != nil && ctx.Err() == nil {
			a.log.Warn("heartbeat failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reportDropped emits one agent.spool_dropped event for records lost to the
// spool bound since the last report.
func (a *Agent) reportDropped() {
	st := a.spool.Stats()
	if st.DroppedUnreported == 0 {
		return
	}
	ev := event.New(event.KindEvent, "agent", "agent.spool_dropped")
	ev.Category = "agent"
	ev.Severity = event.SeverityHigh
	ev.Message = fmt.Sprintf("spool full: %d events were dropped before upload", st.DroppedUnreported)
	ev.Labels = map[string]string{"dropped": fmt.Sprint(st.DroppedUnreported)}
	if err := a.Emit(ev); err != nil {
		a.log.Error("report dropped events", "err", err)
		return
	}
	if err := a.spool.MarkDroppedReported(st.DroppedUnreported); err != nil {
		a.log.Error("mark dropped reported", "err", err)
	}
}

func (a *Agent) inventoryLoop(ctx context.Context) {
	t := time.NewTicker(a.opts.InventoryEvery)
	defer t.Stop()
	for {
		if _, err := a.collectInventory(ctx); err != nil {
			a.log.Warn("inventory", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *Agent) collectInventory(ctx context.Context) (string, error) {
	inv, err := inventory.Collect(ctx, inventory.Options{})
	if err != nil {
		return "", err
	}
	ev := inv.Event()
	return ev.ID, a.Emit(ev)
}

type commandMsg struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

func (a *Agent) commandLoop(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		var resp struct {
			Commands []commandMsg `json:"commands"`
		}
		err := a.getJSON(ctx, "/api/v1/agent/commands?wait=25s", &resp)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.log.Warn("command poll failed", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, time.Minute)
			continue
		}
		backoff = time.Second
		for _, c := range resp.Commands {
			a.execute(ctx, c)
		}
	}
}

// execute runs one command, reports its result to the server and records it
// as an event.
func (a *Agent) execute(ctx context.Context, c commandMsg) {
	status, result := "done", map[string]any{}
	switch c.Name {
	case "ping":
		result["pong"] = true
		result["agent_time"] = time.Now().UTC()
	case "collect-inventory":
		id, err := a.collectInventory(ctx)
		if err != nil {
			status, result["error"] = "failed", err.Error()
		} else {
			result["event_id"] = id
		}
	case "list-quarantine":
		if a.resp.Quarantine == nil {
			status, result["error"] = "failed", "quarantine store unavailable"
			break
		}
		recs, err := a.resp.Quarantine.List()
		if err != nil {
			status, result["error"] = "failed", err.Error()
		} else {
			result["records"] = recs
		}
	case "scan-path":
		var args struct {
			Paths []string `json:"paths"`
		}
		dec := json.NewDecoder(bytes.NewReader(c.Args))
		dec.DisallowUnknownFields()
		switch {
		case a.scans == nil:
			status, result["error"] = "failed", "scanning is not enabled on this agent"
		case dec.Decode(&args) != nil || len(args.Paths) == 0 || len(args.Paths) > 64:
			status, result["error"] = "failed", `arguments must be {"paths": ["..."]} (1-64 paths)`
		default:
			sum, err := a.scans.ScanPaths(ctx, scansched.ScanConfig{Name: "on-demand", Paths: args.Paths}, scansched.SourceOnDemand)
			if err != nil {
				status, result["error"] = "failed", err.Error()
			}
			result["summary"] = sum
		}
	default:
		if !isResponseCommand(c.Name) {
			status, result["error"] = "failed", "unknown command "+c.Name
			break
		}
		res, err := a.resp.Execute(ctx, c.Name, c.Args)
		if err != nil {
			status, result["error"] = "failed", err.Error()
		} else {
			result["result"] = res
		}
	}
	ev := event.New(event.KindEvent, "agent.command", c.Name)
	ev.Category = "agent"
	ev.Message = fmt.Sprintf("command %s (%s): %s", c.Name, c.ID, status)
	ev.Labels = map[string]string{"command.id": c.ID, "command.status": status}
	if err := a.Emit(ev); err != nil {
		a.log.Error("record command result", "err", err)
	}
	body := map[string]any{"status": status, "result": result}
	if err := a.postJSON(ctx, "/api/v1/agent/commands/"+c.ID+"/result", body, nil); err != nil {
		a.log.Warn("send command result", "command", c.ID, "err", err)
	}
}

func (a *Agent) postJSON(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.Server+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return a.do(req, out)
}

func (a *Agent) getJSON(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.cfg.Server+path, nil)
	if err != nil {
		return err
	}
	return a.do(req, out)
}

func (a *Agent) do(req *http.Request, out any) error {
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// guardLoop runs the ransomware shield; its alerts go through the spool
// like any event.
func (a *Agent) guardLoop(ctx context.Context) {
	err := guard.Run(ctx, guard.Options{
		Protect: a.opts.Protect, Kill: a.opts.KillRansomware, Canaries: true, Logger: a.log,
		BackupDir: BackupDir(a.opts.StateDir), BackupMax: a.opts.BackupMax,
		OnReady: func(i guard.ShieldInfo) {
			a.log.Info("ransomware shield ready", "source", i.Source, "files", i.Profiles, "decoys", i.Canaries)
		},
		OnAlert: func(al guard.Alert) {
			if err := a.Emit(RansomwareAlert(al)); err != nil {
				a.log.Error("spool ransomware alert", "err", err)
			}
		},
	})
	if err != nil && ctx.Err() == nil {
		a.log.Error("ransomware shield stopped", "err", err)
	}
}

func isResponseCommand(name string) bool {
	for _, c := range response.Commands {
		if c == name {
			return true
		}
	}
	return false
}

// minerLoop looks for cryptominers every 30 s.
func (a *Agent) minerLoop(ctx context.Context) {
	d := miner.New(miner.Options{Self: os.Getpid()})
	err := d.Run(ctx, 30*time.Second, func(f miner.Finding) {
		action := "alert-only"
		if a.opts.KillMiners {
			action = "killed"
			if err := miner.Kill(f); err != nil {
				action = "kill-failed"
			} else if f.Exe != "" && !f.ExeDeleted && a.resp.Quarantine != nil {
				if _, err := a.resp.Quarantine.Quarantine(f.Exe, quarantine.Reason{Rule: "medshield.miner", Source: "miner"}); err == nil {
					action = "killed+quarantined"
				}
			}
		}
		if err := a.Emit(f.Event(action)); err != nil {
			a.log.Error("spool miner alert", "err", err)
		}
	})
	if err != nil && ctx.Err() == nil && !errors.Is(err, miner.ErrUnsupported) {
		a.log.Warn("miner detection stopped", "err", err)
	}
}

// tamperLoop enforces the state directory's and binary's permissions and
// watches them; every outside change becomes an alert.
func (a *Agent) tamperLoop(ctx context.Context) {
	exe, _ := os.Executable()
	pol := tamper.Policy{StateDir: a.opts.StateDir, Binary: exe, Owner: -1, Repair: true}
	problems, err := tamper.Check(pol)
	if err != nil {
		a.log.Warn("tamper check", "err", err)
	}
	for _, p := range problems {
		ev := event.New(event.KindAlert, "agent.tamper", "protection_check")
		ev.Category = "configuration"
		ev.Severity = event.SeverityMedium
		ev.Rule = &event.Rule{ID: "medshield.tamper.permissions", Name: "Agent files were not protected", Ruleset: "medshield-agent", Level: "medium", Author: "medshield"}
		ev.Message = p.String()
		_ = a.Emit(ev)
	}
	w := &tamper.Watcher{
		Dirs: []string{a.opts.StateDir}, Files: []string{exe}, Repair: &pol,
		// The agent's own writes.
		Ignore: []string{"spool/**", "backup/**", "quarantine/**", "scan-*", "*.tmp*", ".tmp-*", ".index.tmp", pidFile, stopFile},
		Report: func(at tamper.Attempt) {
			if err := a.Emit(at.Event()); err != nil {
				a.log.Error("spool tamper alert", "err", err)
			}
		},
	}
	if err := w.Run(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("tamper watcher stopped", "err", err)
	}
}

// baselineLoop evaluates the embedded security baselines at start and every
// InventoryEvery (6 h).
func (a *Agent) baselineLoop(ctx context.Context) {
	t := time.NewTicker(a.opts.InventoryEvery)
	defer t.Stop()
	for {
		evs, err := posture.Baseline(ctx)
		if err != nil {
			a.log.Warn("baseline", "err", err)
		}
		if len(evs) > 0 {
			if err := a.Emit(evs...); err != nil {
				a.log.Error("spool baseline", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// BackupDir is where the protected-folder backup lives in a state
// directory.
func BackupDir(stateDir string) string { return filepath.Join(stateDir, "backup") }

// RansomwareAlert turns a shield alert into an event.
func RansomwareAlert(al guard.Alert) event.Event {
	ev := event.New(event.KindAlert, "guard.ransomware", al.Action)
	if al.ID != "" {
		ev.ID = al.ID // the incident id shown in the console is the one restores take
	}
	ev.Timestamp = al.Time.UTC()
	ev.Category = "malware"
	ev.Severity = event.SeverityCritical
	ev.Rule = &event.Rule{ID: al.Rule, Name: "Ransomware behaviour stopped", Ruleset: "medshield-guard", Level: "critical",
		Author: "medshield", Description: "A process damaged protected files like ransomware and was stopped"}
	ev.Techniques = []string{"T1486"}
	kinds := make([]string, 0, len(al.Signals))
	for _, sg := range al.Signals {
		kinds = append(kinds, sg.Kind)
		if sg.Kind == "recovery-inhibition" {
			ev.Techniques = append(ev.Techniques, "T1490")
		}
	}
	ev.Process = &event.Process{PID: al.PID, Name: al.Name, Executable: al.Exe, CommandLine: al.Cmdline}
	ev.Message = fmt.Sprintf("ransomware behaviour by %s (pid %d), score %.0f, %d files touched: %s", al.Name, al.PID, al.Score, len(al.Files), al.Action)
	ev.Labels = map[string]string{"guard.action": al.Action, "guard.score": fmt.Sprintf("%.0f", al.Score)}
	files := al.Files
	if len(files) > 50 {
		files = files[:50]
	}
	ev.Fields = map[string]any{"guard.signals": kinds, "guard.files": files, "guard.killed_pids": al.Killed}
	return ev
}

// Hostname returns the host name for enrolment defaults.
func Hostname() string {
	h, _ := os.Hostname()
	return h
}
