package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/console"
	"github.com/medshield/medshield/internal/pki"
	"github.com/medshield/medshield/internal/posture"
	"github.com/medshield/medshield/internal/server"
	"github.com/medshield/medshield/internal/sigma"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/database"
	"github.com/medshield/medshield/internal/store/retention"
)

// defaultDataDir is where `up` and `server` keep their state.
const defaultDataDir = "./medshield-data"

// openStore opens the store named by dsn: "" or "sqlite:PATH" for SQLite
// (default DATA/medshield.db), "postgres://..." for PostgreSQL.
func openStore(ctx context.Context, dsn, dataDir string) (store.Store, error) {
	return database.Open(ctx, dsn, dataDir)
}

// storeOpener holds the --data and --db flags of the commands that work on
// a server's store directly.
type storeOpener struct{ data, dsn *string }

func storeFlags(fs *flag.FlagSet) storeOpener {
	return storeOpener{
		data: fs.String("data", defaultDataDir, "server data directory"),
		dsn:  fs.String("db", "", "store DSN if not the default SQLite in --data"),
	}
}

func (o storeOpener) open(ctx context.Context) (store.Store, error) {
	return openStore(ctx, *o.dsn, *o.data)
}

// serverSetup is a server ready to serve, with what `up` prints.
type serverSetup struct {
	srv         *server.Server
	st          store.Store
	ca          *pki.CA
	ln          net.Listener
	url         string
	adminName   string
	adminPW     string // set only when the admin account was just created
	dataDir     string
	fingerprint string
	sigma       *server.SigmaDetector
	retention   *retention.Job
	posture     *posture.Detector
}

type serverOptions struct {
	dataDir   string
	listen    string
	dsn       string
	hostnames []string
	adminName string
	sigmaDirs []string // extra Sigma rule directories (DATA/rules/sigma is always read)
	retention retention.Config
}

// setupServer prepares the data directory, store, CA, certificates, the
// first admin account and the listener.
func setupServer(ctx context.Context, e *env, o serverOptions) (*serverSetup, error) {
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := openStore(ctx, o.dsn, o.dataDir)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	fail := func(err error) (*serverSetup, error) { st.Close(); return nil, err }
	pkiDir := filepath.Join(o.dataDir, "pki")
	ca, _, err := pki.LoadOrCreateCA(pkiDir)
	if err != nil {
		return fail(fmt.Errorf("internal CA: %w", err))
	}
	tlsCert, err := ca.ServerCert(pkiDir, o.hostnames)
	if err != nil {
		return fail(err)
	}
	created, pw, err := server.NewAdmin(st).EnsureAdmin(ctx, o.adminName, os.Getenv("MEDSHIELD_ADMIN_PASSWORD"))
	if err != nil {
		return fail(fmt.Errorf("first admin account: %w", err))
	}
	ss := &serverSetup{st: st, ca: ca, adminName: o.adminName, dataDir: o.dataDir, fingerprint: ca.Fingerprint()}
	if created {
		ss.adminPW = pw
	}
	// Sigma rules: DATA/rules/sigma plus the configured directories,
	// reloaded when a file changes (see reloadRules).
	sigmaPaths := append([]string{filepath.Join(o.dataDir, "rules", "sigma")}, o.sigmaDirs...)
	det, diags, err := server.NewSigmaDetector(sigmaPaths, sigma.Options{})
	if err != nil {
		return fail(err)
	}
	for _, d := range diags {
		e.log.Warn("sigma rule rejected", "diagnostic", d.Error())
	}
	ss.sigma = det
	e.log.Info("sigma rules loaded", "rules", det.Rules(), "rejected", len(diags), "paths", strings.Join(sigmaPaths, ","))
	ss.retention = retention.New(st, o.retention, e.log, nil)
	ss.posture = posture.NewDetector(o.dataDir, st, e.log)
	cfg := server.Config{Store: st, CA: ca, ServerTLS: tlsCert, Logger: e.log, Detectors: []server.Detector{det, ss.posture}}
	ss.srv, err = server.New(cfg)
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fail(fmt.Errorf("listen on %s: %w", o.listen, err))
	}
	ss.ln = ln
	ss.url = "https://" + displayAddr(ln.Addr().String())
	cons, err := console.New(ss.srv, ss.url, e.log)
	if err != nil {
		ln.Close()
		return fail(err)
	}
	// The console is mounted after construction so that it can use the
	// server's authentication.
	ss.srv.SetConsole(cons.Handler())
	return ss, nil
}

// displayAddr turns a listen address into a URL host a browser can use.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func (ss *serverSetup) close() {
	if ss.ln != nil {
		ss.ln.Close()
	}
	ss.st.Close()
}

// serve runs the server, the retention job and the rule reloader until ctx
// ends.
func (ss *serverSetup) serve(ctx context.Context, log *slog.Logger) error {
	bg, stop := context.WithCancel(ctx)
	defer stop()
	go ss.retention.Run(bg)
	go ss.reloadRules(bg, log)
	go ss.posture.Run(bg, ss.st, time.Minute) // re-match every host when the OSV database changes
	err := ss.srv.Serve(ctx, ss.ln)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func printBanner(e *env, ss *serverSetup) {
	fmt.Fprintf(e.stdout, "medshield server is running\n")
	fmt.Fprintf(e.stdout, "  console:        %s/\n", ss.url)
	fmt.Fprintf(e.stdout, "  admin user:     %s\n", ss.adminName)
	if ss.adminPW != "" {
		if os.Getenv("MEDSHIELD_ADMIN_PASSWORD") != "" {
			fmt.Fprintf(e.stdout, "  admin password: (from MEDSHIELD_ADMIN_PASSWORD)\n")
		} else {
			fmt.Fprintf(e.stdout, "  admin password: %s   (shown once: store it now)\n", ss.adminPW)
		}
	}
	fmt.Fprintf(e.stdout, "  CA fingerprint: %s\n", ss.fingerprint)
	fmt.Fprintf(e.stdout, "  data directory: %s\n", ss.dataDir)
}

// reloadRules reloads the Sigma rules when a rule file changes (checked
// every 30 s), so rules are updated without a restart.
func (ss *serverSetup) reloadRules(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !ss.sigma.Changed() {
			continue
		}
		diags, err := ss.sigma.Reload()
		if err != nil {
			log.Error("sigma reload failed; previous rules stay in force", "err", err)
			continue
		}
		log.Info("sigma rules reloaded", "rules", ss.sigma.Rules(), "rejected", len(diags))
	}
}
