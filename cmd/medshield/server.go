package main

import (
	"context"
	"fmt"
	"time"

	"github.com/medshield/medshield/internal/store/retention"
)

func cmdServer() command {
	return command{name: "server", summary: "run the medshield server (API, ingest, console) without a local agent", run: runServer}
}

func runServer(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "server", "server [--data DIR] [--listen ADDR] [--db DSN] [--hostname NAME]...", `
Runs the medshield server for a real deployment: the HTTPS API (agent
enrolment and mutually authenticated ingest under /api/v1), the detection
pipeline and the web console, without the local agent that 'up' adds.

On first start it creates the data directory with the SQLite store (unless
--db names PostgreSQL), the internal CA and a server certificate for
localhost, 127.0.0.1 and every --hostname, and the first admin account
(password printed once, or taken from MEDSHIELD_ADMIN_PASSWORD).
Agents enrol with a token ('medshield token create') and the CA fingerprint
printed at start.

Stop with Ctrl-C (SIGINT) or SIGTERM: in-flight batches are committed first.`)
	data := fs.String("data", defaultDataDir, "data directory (store, CA, certificates)")
	listen := fs.String("listen", "127.0.0.1:8443", "HTTPS listen address (use 0.0.0.0:8443 to accept agents from the network)")
	dsn := fs.String("db", "", "store: sqlite:PATH (default DATA/medshield.db) or postgres://user:pass@host/db")
	var hosts stringList
	fs.Var(&hosts, "hostname", "extra DNS name or IP for the server certificate (repeatable)")
	admin := fs.String("admin", "admin", "name of the first admin account")
	var sigmaDirs stringList
	fs.Var(&sigmaDirs, "sigma-rules", "extra Sigma rule directory run on every ingested event (repeatable; DATA/rules/sigma is always read; changes are picked up within 30 s)")
	keepEvents := fs.Duration("retention-events", 180*24*time.Hour, "how long to keep events")
	keepAlerts := fs.Duration("retention-alerts", 180*24*time.Hour, "how long to keep alerts")
	keepState := fs.Duration("retention-state", 180*24*time.Hour, "how long to keep state records (inventories)")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	ss, err := setupServer(ctx, e, serverOptions{
		dataDir: *data, listen: *listen, dsn: *dsn, hostnames: hosts, adminName: *admin, sigmaDirs: sigmaDirs,
		retention: retention.Config{Event: *keepEvents, Alert: *keepAlerts, State: *keepState},
	})
	if err != nil {
		return err
	}
	defer ss.close()
	printBanner(e, ss)
	return ss.serve(ctx, e.log)
}
