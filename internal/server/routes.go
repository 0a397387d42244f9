package server

import "net/http"

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Public.
	mux.HandleFunc("GET /api/v1/health", s.handleHealth)
	mux.HandleFunc("POST /api/v1/enroll", s.handleEnroll)
	mux.HandleFunc("POST /api/v1/login", s.handleLogin)

	// Agents (mutual TLS).
	mux.HandleFunc("POST /api/v1/agent/events", s.agentOnly(s.handleEvents))
	mux.HandleFunc("POST /api/v1/agent/heartbeat", s.agentOnly(s.handleHeartbeat))
	mux.HandleFunc("GET /api/v1/agent/commands", s.agentOnly(s.handleCommandPoll))
	mux.HandleFunc("POST /api/v1/agent/commands/{id}/result", s.agentOnly(s.handleCommandResult))

	// Users (session cookie + CSRF, or bearer API key).
	mux.HandleFunc("POST /api/v1/logout", s.user(anyRole, s.handleLogout))
	mux.HandleFunc("GET /api/v1/me", s.user(anyRole, s.handleMe))
	mux.HandleFunc("GET /api/v1/hosts", s.user(anyRole, s.handleHosts))
	mux.HandleFunc("GET /api/v1/hosts/{id}", s.user(anyRole, s.handleHost))
	mux.HandleFunc("POST /api/v1/hosts/{id}/revoke", s.user(adminOnly, s.handleRevokeHost))
	mux.HandleFunc("POST /api/v1/hosts/{id}/commands", s.user(analystUp, s.handleSendCommand))
	mux.HandleFunc("GET /api/v1/commands/{id}", s.user(analystUp, s.handleGetCommand))
	mux.HandleFunc("POST /api/v1/hosts/{id}/unlock-code", s.user(adminOnly, s.handleUnlockCode))
	mux.HandleFunc("GET /api/v1/events", s.user(anyRole, s.handleEventsQuery))
	mux.HandleFunc("GET /api/v1/alerts", s.user(anyRole, s.handleAlertsQuery))
	mux.HandleFunc("GET /api/v1/tokens", s.user(adminOnly, s.handleListTokens))
	mux.HandleFunc("POST /api/v1/tokens", s.user(adminOnly, s.handleCreateToken))
	mux.HandleFunc("POST /api/v1/tokens/{id}/revoke", s.user(adminOnly, s.handleRevokeToken))
	mux.HandleFunc("GET /api/v1/users", s.user(adminOnly, s.handleListUsers))
	mux.HandleFunc("POST /api/v1/users", s.user(adminOnly, s.handleCreateUser))
	mux.HandleFunc("POST /api/v1/apikeys", s.user(adminOnly, s.handleCreateAPIKey))
	mux.HandleFunc("GET /api/v1/apikeys", s.user(adminOnly, s.handleListAPIKeys))
	mux.HandleFunc("POST /api/v1/apikeys/{id}/revoke", s.user(adminOnly, s.handleRevokeAPIKey))
	mux.HandleFunc("GET /api/v1/audit", s.user(auditorUp, s.handleAudit))
	mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "not_found", "no such API endpoint: %s %s", r.Method, r.URL.Path)
	}))

	mux.HandleFunc("/", s.serveConsole)
	return securityHeaders(s.recoverer(mux))
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "ca_fingerprint": s.ca.Fingerprint()})
}
