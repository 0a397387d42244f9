package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/scansched"
	"github.com/medshield/medshield/internal/server"
	"github.com/medshield/medshield/internal/yara"
)

func cmdUp() command {
	return command{name: "up", summary: "run server, console and a local agent on embedded defaults (first look, one machine)", run: runUp}
}

func runUp(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "up", "up [--data DIR] [--listen ADDR] [--hostname NAME]...", `
Runs medshield on one machine with embedded defaults: the server (HTTPS API,
detection pipeline, web console) and a local agent for this host, enrolled
in-process over the same mutual-TLS path as any remote agent.

First run: creates the data directory (default ./medshield-data) with the
SQLite store, the internal CA, a server certificate for localhost, 127.0.0.1
and every --hostname, and the 'admin' account with a random password printed
once (or MEDSHIELD_ADMIN_PASSWORD). Later runs reuse all of it and print no
password. The console URL, admin user name and CA fingerprint are printed at
start.

Ctrl-C shuts down cleanly: the server commits in-flight batches and the agent
keeps anything not yet acknowledged in its spool for the next start.`)
	data := fs.String("data", defaultDataDir, "data directory")
	listen := fs.String("listen", "127.0.0.1:8443", "HTTPS listen address")
	var hosts stringList
	fs.Var(&hosts, "hostname", "extra DNS name or IP for the server certificate (repeatable)")
	hospital := fs.String("hospital", "Local hospital", "hospital recorded for the local agent")
	dept := fs.String("department", "IT", "department recorded for the local agent")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	ss, err := setupServer(ctx, e, serverOptions{dataDir: *data, listen: *listen, hostnames: hosts, adminName: "admin"})
	if err != nil {
		return err
	}
	defer ss.close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := ss.serve(ctx, e.log); err != nil {
			errc <- fmt.Errorf("server: %w", err)
			cancel()
		}
	}()

	stateDir := filepath.Join(*data, "agent")
	if err := enrolLocalAgent(ctx, ss, stateDir, *hospital, *dept); err != nil {
		cancel()
		wg.Wait()
		return fmt.Errorf("local agent: %w", err)
	}
	// The local agent scans on demand ("scan-path" from the console) with the
	// embedded starter rules and watches for miners; the ransomware shield
	// stays off in this first-look mode (it places decoy files).
	rs, _, err := compileYara(nil)
	if err != nil {
		cancel()
		wg.Wait()
		return fmt.Errorf("starter rules: %w", err)
	}
	ag, err := agent.New(agent.Options{StateDir: stateDir, Version: version, Logger: e.log, Miners: true,
		Scanner: scansched.NewYARA(rs, yara.ScanOptions{}), QuarantineDetections: true})
	if err != nil {
		cancel()
		wg.Wait()
		return fmt.Errorf("local agent: %w", err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := ag.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			errc <- fmt.Errorf("agent: %w", err)
		}
	}()
	printBanner(e, ss)
	fmt.Fprintf(e.stdout, "  local agent:    %s (%s / %s)\n", ag.Config().AgentID, ag.Config().Hospital, ag.Config().Department)
	fmt.Fprintf(e.stdout, "Press Ctrl-C to stop.\n")
	<-ctx.Done()
	fmt.Fprintf(e.stderr, "shutting down...\n")
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	return nil
}

// enrolLocalAgent enrols the local agent once, with a single-use token made
// for it, through the server's real enrolment endpoint.
func enrolLocalAgent(ctx context.Context, ss *serverSetup, stateDir, hospital, dept string) error {
	if _, err := agent.LoadConfig(stateDir); err == nil {
		return nil
	} else if !errors.Is(err, agent.ErrNotEnrolled) {
		return err
	}
	secret, _, err := server.NewAdmin(ss.st).CreateToken(ctx, server.Actor{Name: "system", Remote: "local"},
		server.TokenRequest{Hospital: hospital, Department: dept, TTL: 10 * time.Minute, Uses: 1})
	if err != nil {
		return err
	}
	_, err = agent.Enroll(ctx, agent.EnrollOptions{Server: ss.url, Token: secret, CAFingerprint: ss.fingerprint, StateDir: stateDir, Version: version})
	return err
}
