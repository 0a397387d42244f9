// Package servertest starts a real medshield server (SQLite store, internal
// CA, HTTPS on a random loopback port) for tests of the server, the agent and
// the console. Only tests import it.
package servertest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/console"
	"github.com/medshield/medshield/internal/pki"
	"github.com/medshield/medshield/internal/server"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/sqlite"
)

// AdminPassword is the password of the "admin" account of test servers.
const AdminPassword = "Test-Admin-Password-42"

// Server is a running test server.
type Server struct {
	*server.Server
	URL         string
	Store       store.Store
	CA          *pki.CA
	Fingerprint string
	DataDir     string
	cancel      context.CancelFunc
	done        chan error
}

// Option adjusts the server configuration before it starts.
type Option func(*server.Config)

// Start starts a server on a fresh SQLite store; it stops when the test
// ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "medshield.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return StartWith(t, st, dir, opts...)
}

// StartWith starts a server on the given store (closed when the test ends),
// keeping the CA in dir.
func StartWith(t testing.TB, st store.Store, dir string, opts ...Option) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ca, _, err := pki.LoadOrCreateCA(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServerCert(filepath.Join(dir, "pki"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.NewAdmin(st).EnsureAdmin(ctx, "admin", AdminPassword); err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{Store: st, CA: ca, ServerTLS: cert, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + ln.Addr().String()
	cons, err := console.New(srv, url, cfg.Logger)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetConsole(cons.Handler())
	s := &Server{Server: srv, URL: url, Store: st, CA: ca, Fingerprint: ca.Fingerprint(), DataDir: dir, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(s.Stop)
	return s
}

// Stop stops the server and closes the store (idempotent).
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
	}
	s.Store.Close()
}

// RootPool trusts the test CA.
func (s *Server) RootPool() *x509.CertPool { return s.CA.Pool() }

// Client is an HTTP client trusting the server (no client certificate).
func (s *Server) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.RootPool()}}}
}

// Session is a logged-in API client.
type Session struct {
	Client *http.Client
	CSRF   string
	URL    string
}

// Login logs in as user/password.
func (s *Server) Login(t testing.TB, user, password string) *Session {
	t.Helper()
	c := s.Client()
	body, _ := json.Marshal(map[string]string{"user": user, "password": password})
	resp, err := c.Post(s.URL+"/api/v1/login", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("login %s: %s: %s", user, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return &Session{Client: c, CSRF: out.CSRF, URL: s.URL}
}

// Do sends a JSON request (body may be nil) and decodes a JSON answer into
// out (may be nil). It returns the status code.
func (se *Session) Do(t testing.TB, method, path string, body, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, se.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", se.CSRF)
	resp, err := se.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

// CreateToken creates an enrolment token through the API.
func (s *Server) CreateToken(t testing.TB, hospital, dept string, uses int, ttl string) string {
	t.Helper()
	se := s.Login(t, "admin", AdminPassword)
	var out struct {
		Token string `json:"token"`
	}
	if code := se.Do(t, "POST", "/api/v1/tokens", map[string]any{"hospital": hospital, "department": dept, "uses": uses, "ttl": ttl}, &out); code != 201 {
		t.Fatalf("create token: status %d", code)
	}
	if out.Token == "" {
		t.Fatal(errors.New("no token returned"))
	}
	return out.Token
}
