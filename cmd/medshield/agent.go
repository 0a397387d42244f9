package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/guard"
	"github.com/medshield/medshield/internal/scansched"
	"github.com/medshield/medshield/internal/yara"
)

func cmdAgent() command {
	return command{name: "agent", summary: "enrol this machine with a server and run the endpoint agent", run: runAgent}
}

const agentHelp = `Usage: medshield agent <subcommand> [flags]

The endpoint agent collects events on this machine, writes each one to an
on-disk spool first, and uploads them to the medshield server over mutual
TLS, retrying until the server acknowledges them.

Subcommands:
  enroll   medshield agent enroll --server URL --token TOKEN --ca-fingerprint SHA256 [--state DIR]
  run      medshield agent run [--state DIR]
  status   medshield agent status [--state DIR]
  restore  medshield agent restore --incident ID [--state DIR]   put back files a stopped ransomware damaged
  stop       medshield agent stop --code CODE [--state DIR]        stop a tamper-protected agent with a code from the server
  uninstall  medshield agent uninstall --code CODE [--state DIR]   stop the agent and remove its state (key, spool, backup, quarantine)
`

func runAgent(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "agent", args, map[string]func([]string) error{
		"enroll":    func(a []string) error { return runAgentEnroll(ctx, e, a) },
		"run":       func(a []string) error { return runAgentRun(ctx, e, a) },
		"status":    func(a []string) error { return runAgentStatus(ctx, e, a) },
		"restore":   func(a []string) error { return runAgentRestore(ctx, e, a) },
		"stop":      func(a []string) error { return runAgentStop(ctx, e, a) },
		"uninstall": func(a []string) error { return runAgentUninstall(ctx, e, a) },
	}, agentHelp)
}

func runAgentEnroll(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "agent enroll", "agent enroll --server URL --token TOKEN --ca-fingerprint SHA256 [--state DIR]", `
Generates a key on this host (it never leaves the state directory; mode 0600),
sends a certificate request with the enrolment token, and stores the signed
client certificate. The server is trusted only if its CA has the given
SHA-256 fingerprint (printed by 'medshield up' / 'medshield server'), so the
first contact is safe without installing a CA file.`)
	server := fs.String("server", "", "server URL, e.g. https://soc.hospital.example:8443")
	token := fs.String("token", "", "enrolment token from 'medshield token create' or the console")
	fp := fs.String("ca-fingerprint", "", "SHA-256 fingerprint of the server's CA (hex, colons allowed)")
	state := fs.String("state", agent.DefaultStateDir(), "agent state directory")
	host := fs.String("hostname", "", "host name to register (default: this machine's)")
	force := fs.Bool("force", false, "enrol again even if this state directory is already enrolled")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *server == "" || *token == "" || *fp == "" {
		fmt.Fprintln(e.stderr, "agent enroll: --server, --token and --ca-fingerprint are required")
		return errUsage
	}
	if c, err := agent.LoadConfig(*state); err == nil && !*force {
		return fmt.Errorf("already enrolled as agent %s with %s (use --force to enrol again)", c.AgentID, c.Server)
	}
	c, err := agent.Enroll(ctx, agent.EnrollOptions{Server: *server, Token: *token, CAFingerprint: *fp, StateDir: *state, HostName: *host, Version: version})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "enrolled as agent %s (%s / %s); state in %s\nstart it with: medshield agent run --state %s\n", c.AgentID, c.Hospital, c.Department, *state, *state)
	return nil
}

func runAgentRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "agent run", "agent run [--state DIR]", `
Runs the agent in the foreground until SIGINT/SIGTERM: uploads spooled
events, sends a heartbeat every 30 s, runs commands from the server (ping,
collect-inventory, scan-path, kill-process, quarantine-file, restore-file,
delete-quarantined, collect-file, isolate, unisolate), sends a host inventory
at start and every 6 h, looks for cryptominers every 30 s, scans for malware
with YARA rules (scheduled scan of --scan-paths, on-access scan of
--on-access folders, "scan-path" commands; detections are quarantined) and,
with --protect, runs the ransomware shield.`)
	state := fs.String("state", agent.DefaultStateDir(), "agent state directory")
	var protect stringList
	fs.Var(&protect, "protect", "run the ransomware shield on these folders (repeatable; needs root on Linux; see docs/guard.md)")
	kill := fs.Bool("kill", true, "let the ransomware shield kill the offending process tree")
	miners := fs.Bool("miners", true, "detect cryptominers (Linux)")
	killMiners := fs.Bool("kill-miners", false, "kill detected miners and quarantine their binary (default: alert only)")
	var scanRules, scanPaths, onAccess stringList
	fs.Var(&scanRules, "scan-rules", "YARA rule file or directory for scans (repeatable; default: embedded starter rules)")
	fs.Var(&scanPaths, "scan-paths", "folders for the scheduled scan (repeatable)")
	schedule := fs.String("scan-schedule", "daily at 02:00", `when the scheduled scan runs: "daily at HH:MM" or "every N hours"`)
	fs.Var(&onAccess, "on-access", "folders whose new and modified executables and documents are scanned at once (repeatable)")
	quarantineHits := fs.Bool("quarantine-detections", true, "move files that scans detect into the encrypted quarantine")
	tamperProt := fs.Bool("tamper-protection", true, "enforce the state directory's and binary's permissions and report changes to them")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	// The agent shares clinical workstations: keep the Go heap small (a soft
	// limit; the GC works harder near it rather than failing).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(32 << 20)
	}
	rs, _, err := compileYara(scanRules)
	if err != nil {
		return fmt.Errorf("scan rules: %w", err)
	}
	scanCfg := scansched.Config{OnAccess: scansched.OnAccessConfig{Paths: onAccess}}
	if len(scanPaths) > 0 {
		scanCfg.Scans = []scansched.ScanConfig{{Name: "scheduled", Schedule: *schedule, Paths: scanPaths}}
	}
	ag, err := agent.New(agent.Options{StateDir: *state, Version: version, Logger: e.log, Protect: protect, KillRansomware: *kill,
		Miners: *miners, KillMiners: *killMiners, Scanner: scansched.NewYARA(rs, yara.ScanOptions{}), Scan: scanCfg,
		QuarantineDetections: *quarantineHits, TamperProtection: *tamperProt})
	if err != nil {
		return err
	}
	runCtx := ctx
	if *tamperProt && agent.StopProtected(*state) {
		// Tamper protection: SIGTERM/SIGINT stop the agent only after
		// 'medshield agent stop --code' left a valid stop code; other
		// attempts are refused and reported. (SIGKILL cannot be refused:
		// run the agent under a service manager that restarts it.)
		var cancel context.CancelFunc
		runCtx, cancel = context.WithCancel(context.WithoutCancel(ctx))
		defer cancel()
		sigs := make(chan os.Signal, 4)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sigs)
		go func() {
			for {
				select {
				case <-runCtx.Done():
					return
				case sig := <-sigs:
					if ag.StopAuthorized() {
						cancel()
						return
					}
					ag.ReportRefusedStop(sig.String())
				}
			}
		}()
	}
	err = ag.Run(runCtx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func runAgentStop(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "agent stop", "agent stop --code CODE [--state DIR]", `
Stops a running agent that has tamper protection. The code comes from an
administrator (console host page or POST /api/v1/hosts/ID/unlock-code with
{"action":"stop"}); it is bound to this agent, expires, and is checked here
and again by the running agent.`)
	state := fs.String("state", agent.DefaultStateDir(), "agent state directory")
	code := fs.String("code", "", "stop code issued by the server")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *code == "" {
		fmt.Fprintln(e.stderr, "agent stop: --code is required")
		return errUsage
	}
	pid, err := agent.RunningPID(*state)
	if err != nil {
		return err
	}
	if err := agent.AuthorizeStop(*state, *code); err != nil {
		return err
	}
	proc, err := os.FindProcess(pid)
	if err == nil {
		err = proc.Signal(syscall.SIGTERM) // Windows: stop the service instead
	}
	if err != nil {
		return fmt.Errorf("signal agent %d: %w", pid, err)
	}
	for i := 0; i < 300; i++ {
		if _, err := agent.RunningPID(*state); err != nil {
			fmt.Fprintf(e.stdout, "agent %d stopped\n", pid)
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("agent %d did not stop within 30 s", pid)
}

func runAgentStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "agent status", "agent status [--state DIR]", "Prints the enrolment and the spool state of this agent.")
	state := fs.String("state", agent.DefaultStateDir(), "agent state directory")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	c, err := agent.LoadConfig(*state)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "agent:      %s\nserver:     %s\nhospital:   %s\ndepartment: %s\nhost name:  %s\nenrolled:   %s\nstate:      %s\n",
		c.AgentID, c.Server, c.Hospital, c.Department, c.HostName, c.EnrolledAt.Local().Format("2006-01-02 15:04:05"), *state)
	return nil
}

func runAgentRestore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "agent restore", "agent restore --incident ID [--state DIR]", `
Restores the documents damaged in a ransomware incident from the agent's
protected-folder backup (copies taken before the first write of each file
and at shield start; see docs/guard.md). ID is the alert's event id, shown
in the console and in the alert. Files changed or removed while the
incident ran are put back; the ransomware's own files (NAME.locked, notes)
are left for you to delete.`)
	state := fs.String("state", agent.DefaultStateDir(), "agent state directory")
	id := fs.String("incident", "", "incident (alert event) id")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *id == "" {
		fmt.Fprintln(e.stderr, "agent restore: --incident is required")
		return errUsage
	}
	res, err := guard.RestoreIncident(agent.BackupDir(*state), *id)
	if err != nil {
		return err
	}
	for _, p := range res.Restored {
		fmt.Fprintf(e.stdout, "restored %s\n", p)
	}
	for _, p := range res.Missing {
		fmt.Fprintf(e.stdout, "no backup  %s\n", p)
	}
	for _, p := range res.Failed {
		fmt.Fprintf(e.stdout, "FAILED   %s\n", p)
	}
	fmt.Fprintf(e.stdout, "%d restored, %d without backup, %d failed\n", len(res.Restored), len(res.Missing), len(res.Failed))
	if len(res.Failed) > 0 {
		return &exitCode{code: 1}
	}
	return nil
}

func runAgentUninstall(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "agent uninstall", "agent uninstall --code CODE [--state DIR]", `
Stops the agent and deletes its state directory (key, certificate, spool,
protected-folder backup, quarantine). A tamper-protected agent needs an
uninstall code from an administrator (console host page or
POST /api/v1/hosts/ID/unlock-code with {"action":"uninstall"}). Revoke the
host in the console as well. The binary itself is not removed.`)
	state := fs.String("state", agent.DefaultStateDir(), "agent state directory")
	code := fs.String("code", "", "uninstall code issued by the server")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if _, err := agent.LoadConfig(*state); err != nil {
		return err
	}
	if agent.StopProtected(*state) {
		if *code == "" {
			fmt.Fprintln(e.stderr, "agent uninstall: this agent is tamper-protected; --code is required")
			return errUsage
		}
		if err := agent.AuthorizeUninstall(*state, *code); err != nil {
			return err
		}
	}
	if pid, err := agent.RunningPID(*state); err == nil {
		if proc, err := os.FindProcess(pid); err == nil {
			_ = proc.Signal(syscall.SIGTERM)
		}
		for i := 0; i < 300; i++ {
			if _, err := agent.RunningPID(*state); err != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if _, err := agent.RunningPID(*state); err == nil {
			return fmt.Errorf("agent %d did not stop; nothing removed", pid)
		}
	}
	if err := os.RemoveAll(*state); err != nil {
		return fmt.Errorf("remove %s: %w", *state, err)
	}
	fmt.Fprintf(e.stdout, "agent uninstalled; %s removed\n", *state)
	return nil
}
