// Package server is the medshield server: the HTTPS API under /api/v1
// (enrolment, mutually authenticated agent ingest, heartbeats and command
// long-poll, console users, tokens, hosts, events, alerts and audit), the
// ingest pipeline (validate → stamp identity → detect → store) and the
// console mounted at /. It composes a store.Store, the internal CA
// (internal/pki) and detection engines passed in as Detectors.
//
// Only cmd/medshield imports it.
package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/medshield/medshield/internal/audit"
	"github.com/medshield/medshield/internal/auth"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/pki"
	"github.com/medshield/medshield/internal/store"
)

// Limits bound what clients may send.
type Limits struct {
	MaxBodyBytes         int64   // compressed request body (default 8 MiB)
	MaxDecompressedBytes int64   // after gunzip (default 64 MiB)
	MaxRatio             float64 // decompressed/compressed (default 200)
	MaxEventsPerBatch    int     // default 10 000
}

func (l *Limits) defaults() {
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = 8 << 20
	}
	if l.MaxDecompressedBytes == 0 {
		l.MaxDecompressedBytes = 64 << 20
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = 200
	}
	if l.MaxEventsPerBatch == 0 {
		l.MaxEventsPerBatch = 10000
	}
}

// Detector turns ingested events into alerts (for example the Sigma engine).
// Detect must be safe for concurrent use.
type Detector interface {
	Name() string
	Detect(ctx context.Context, events []event.Event) []event.Event
}

// Config configures a Server.
type Config struct {
	Store     store.Store
	CA        *pki.CA
	ServerTLS tls.Certificate
	Logger    *slog.Logger
	Limits    Limits
	Detectors []Detector
	// OfflineAfter marks a host offline when no heartbeat came for this long
	// (default 90 s: three missed 30 s heartbeats).
	OfflineAfter time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// SessionTTL is the console session lifetime (default 8 h).
	SessionTTL time.Duration
	// LongPoll is the maximum command long-poll wait (default 30 s).
	LongPoll time.Duration
}

// Server is the medshield server.
type Server struct {
	cfg     Config
	st      store.Store
	ca      *pki.CA
	log     *slog.Logger
	audit   *audit.Log
	limiter *auth.Limiter // per client address (many users may share one NAT address)
	userLim *auth.Limiter // per user name
	enrLim  *auth.Limiter // enrolment attempts per client address
	handler http.Handler

	mu      sync.Mutex
	waiters map[string]chan struct{} // agent id → wake-up for long poll

	detMu     sync.RWMutex
	detectors []Detector

	consoleMu sync.RWMutex
	console   http.Handler
}

// SetConsole mounts the web console at "/".
func (s *Server) SetConsole(h http.Handler) {
	s.consoleMu.Lock()
	s.console = h
	s.consoleMu.Unlock()
}

func (s *Server) serveConsole(w http.ResponseWriter, r *http.Request) {
	s.consoleMu.RLock()
	h := s.console
	s.consoleMu.RUnlock()
	if h == nil {
		writeErr(w, http.StatusNotFound, "not_found", "no console in this server")
		return
	}
	h.ServeHTTP(w, r)
}

// New builds a server from cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.CA == nil {
		return nil, errors.New("server: store and CA are required")
	}
	cfg.Limits.defaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.OfflineAfter == 0 {
		cfg.OfflineAfter = 90 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.LongPoll == 0 {
		cfg.LongPoll = 30 * time.Second
	}
	s := &Server{
		cfg:     cfg,
		st:      cfg.Store,
		ca:      cfg.CA,
		log:     cfg.Logger.With("component", "server"),
		audit:   audit.New(cfg.Store),
		limiter: auth.NewLimiter(20, 3*time.Second),
		userLim: auth.NewLimiter(5, 30*time.Second),
		// Whole wards enrol at once from one NAT address; tokens are
		// 256-bit secrets, so this only bounds load, not guessing.
		enrLim:    auth.NewLimiter(500, 50*time.Millisecond),
		waiters:   map[string]chan struct{}{},
		detectors: cfg.Detectors,
	}
	s.handler = s.routes()
	return s, nil
}

// SetDetectors replaces the detectors (rule reload without restart).
func (s *Server) SetDetectors(d []Detector) {
	s.detMu.Lock()
	s.detectors = d
	s.detMu.Unlock()
}

// Store returns the server's store (for the console).
func (s *Server) Store() store.Store { return s.st }

// Audit returns the audit log.
func (s *Server) Audit() *audit.Log { return s.audit }

// Now returns the server clock.
func (s *Server) Now() time.Time { return s.cfg.Now() }

// Handler returns the HTTP handler (API and console).
func (s *Server) Handler() http.Handler { return s.handler }

// TLSConfig returns the server TLS configuration: TLS 1.2+, client
// certificates requested and verified against the internal CA when given
// (agents), not required (console users log in with passwords).
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{s.cfg.ServerTLS},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    s.ca.Pool(),
	}
}

// Serve serves HTTPS on ln until ctx is cancelled, then shuts down
// gracefully: in-flight requests (batches being committed) finish first.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s.wakeAll()
	if err := hs.Shutdown(shCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	<-errc
	return nil
}

// agentFromTLS returns the verified agent for a request with a client
// certificate, checking revocation on every request (so a revoked agent is
// refused at once, without a restart).
func (s *Server) agentFromTLS(r *http.Request) (store.Agent, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return store.Agent{}, errNoClientCert
	}
	leaf := r.TLS.VerifiedChains[0][0]
	if !hasClientAuth(leaf) {
		return store.Agent{}, errNoClientCert
	}
	serial := pki.SerialHex(leaf.SerialNumber)
	revoked, err := s.st.IsRevokedSerial(r.Context(), serial)
	if err != nil {
		return store.Agent{}, err
	}
	if revoked {
		return store.Agent{}, errRevoked
	}
	a, err := s.st.GetAgent(r.Context(), leaf.Subject.CommonName)
	if err != nil {
		return store.Agent{}, errRevoked
	}
	if a.CertSerial != serial {
		return store.Agent{}, errRevoked
	}
	return a, nil
}

func hasClientAuth(c *x509.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth {
			return true
		}
	}
	return false
}

var (
	errNoClientCert = errors.New("client certificate required")
	errRevoked      = errors.New("agent certificate revoked or unknown")
)

// wake notifies an agent's long poll that commands are waiting.
func (s *Server) wake(agentID string) {
	s.mu.Lock()
	if ch, ok := s.waiters[agentID]; ok {
		close(ch)
		delete(s.waiters, agentID)
	}
	s.mu.Unlock()
}

func (s *Server) wakeAll() {
	s.mu.Lock()
	for id, ch := range s.waiters {
		close(ch)
		delete(s.waiters, id)
	}
	s.mu.Unlock()
}

func (s *Server) waitChan(agentID string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.waiters[agentID]
	if !ok {
		ch = make(chan struct{})
		s.waiters[agentID] = ch
	}
	return ch
}

// Online reports whether an agent is online by its last heartbeat.
func (s *Server) Online(a store.Agent) bool {
	return !a.LastSeen.IsZero() && s.cfg.Now().Sub(a.LastSeen) < s.cfg.OfflineAfter && a.RevokedAt.IsZero()
}
