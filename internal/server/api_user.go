package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/auth"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/tamper"
)

// HostView is a host as shown by the API and console.
type HostView struct {
	ID         string    `json:"id"`
	HostName   string    `json:"hostname"`
	Hospital   string    `json:"hospital"`
	Department string    `json:"department"`
	OS         string    `json:"os"`
	Version    string    `json:"version"`
	Online     bool      `json:"online"`
	Revoked    bool      `json:"revoked"`
	LastSeen   time.Time `json:"last_seen"`
	EnrolledAt time.Time `json:"enrolled_at"`
	SpoolDepth int64     `json:"spool_depth"`
	Dropped    int64     `json:"dropped"`
	UptimeSec  int64     `json:"uptime_sec"`
}

// View converts an agent record.
func (s *Server) View(a store.Agent) HostView {
	return HostView{
		ID: a.ID, HostName: a.HostName, Hospital: a.Organization, Department: a.Unit, OS: a.OS, Version: a.Version,
		Online: s.Online(a), Revoked: !a.RevokedAt.IsZero(), LastSeen: a.LastSeen, EnrolledAt: a.EnrolledAt,
		SpoolDepth: a.SpoolDepth, Dropped: a.Dropped, UptimeSec: a.UptimeSec,
	}
}

func (s *Server) handleHosts(w http.ResponseWriter, r *http.Request, p *Principal) {
	agents, err := s.st.ListAgents(r.Context(), p.Scope())
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not list hosts")
		return
	}
	out := make([]HostView, 0, len(agents))
	for _, a := range agents {
		out = append(out, s.View(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"hosts": out})
}

// scopedAgent loads an agent and hides it from principals outside its scope.
func (s *Server) scopedAgent(r *http.Request, p *Principal, id string) (store.Agent, error) {
	a, err := s.st.GetAgent(r.Context(), id)
	if err != nil {
		return a, err
	}
	if sc := p.Scope(); sc != "" && a.Organization != sc {
		return store.Agent{}, store.ErrNotFound
	}
	return a, nil
}

func (s *Server) handleHost(w http.ResponseWriter, r *http.Request, p *Principal) {
	a, err := s.scopedAgent(r, p, r.PathValue("id"))
	if err != nil {
		writeErr(w, http.StatusNotFound, "not_found", "no such host")
		return
	}
	out := map[string]any{"host": s.View(a)}
	if len(a.Inventory) > 0 {
		out["inventory"] = json.RawMessage(a.Inventory)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleRevokeHost(w http.ResponseWriter, r *http.Request, p *Principal) {
	adm := NewAdminFor(s)
	if err := adm.RevokeAgent(r.Context(), p.Actor(r), r.PathValue("id")); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeErr(w, http.StatusNotFound, "not_found", "no such host")
			return
		}
		writeErr(w, http.StatusInternalServerError, "internal", "could not revoke")
		return
	}
	s.wake(r.PathValue("id"))
	writeJSON(w, http.StatusOK, map[string]string{"status": "revoked"})
}

// AgentCommands are the command names agents understand in this version:
// status commands and the active responses of internal/response.
var AgentCommands = map[string]bool{
	"ping": true, "collect-inventory": true,
	"kill-process": true, "quarantine-file": true, "restore-file": true, "delete-quarantined": true,
	"collect-file": true, "isolate": true, "unisolate": true, "scan-path": true, "list-quarantine": true,
}

// adminCommands change the host's network or destroy evidence: admins only.
var adminCommands = map[string]bool{"isolate": true, "unisolate": true, "delete-quarantined": true}

// SendCommand queues a command for an agent and wakes its long poll.
func (s *Server) SendCommand(r *http.Request, p *Principal, agentID, name string, args json.RawMessage) (store.Command, error) {
	if !AgentCommands[name] {
		return store.Command{}, fmt.Errorf("unknown command %q", name)
	}
	if adminCommands[name] && p.User.Role != store.RoleAdmin {
		return store.Command{}, fmt.Errorf("command %q needs the admin role", name)
	}
	if len(args) > 64<<10 {
		return store.Command{}, errors.New("command arguments too large")
	}
	a, err := s.scopedAgent(r, p, agentID)
	if err != nil {
		return store.Command{}, err
	}
	if !a.RevokedAt.IsZero() {
		return store.Command{}, errors.New("agent is revoked")
	}
	c := store.Command{ID: auth.ID(), AgentID: a.ID, Name: name, Args: args, CreatedBy: p.User.Name, CreatedAt: s.cfg.Now().UTC(), Status: "pending"}
	if err := s.st.CreateCommand(r.Context(), c); err != nil {
		return c, err
	}
	act := p.Actor(r)
	if _, err := s.audit.Record(r.Context(), act.Name, "command.send", a.ID, act.Remote, map[string]any{"command": name, "id": c.ID}); err != nil {
		return c, err
	}
	s.wake(a.ID)
	return c, nil
}

func (s *Server) handleSendCommand(w http.ResponseWriter, r *http.Request, p *Principal) {
	var req struct {
		Name string          `json:"name"`
		Args json.RawMessage `json:"args,omitempty"`
	}
	if err := decodeJSON(w, r, 128<<10, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	c, err := s.SendCommand(r, p, r.PathValue("id"), req.Name, req.Args)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeErr(w, http.StatusNotFound, "not_found", "no such host")
			return
		}
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": c.ID, "status": c.Status})
}

func (s *Server) handleGetCommand(w http.ResponseWriter, r *http.Request, p *Principal) {
	c, err := s.st.GetCommand(r.Context(), r.PathValue("id"))
	if err == nil {
		_, err = s.scopedAgent(r, p, c.AgentID)
	}
	if err != nil {
		writeErr(w, http.StatusNotFound, "not_found", "no such command")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": c.ID, "agent_id": c.AgentID, "name": c.Name, "status": c.Status, "created_by": c.CreatedBy,
		"created_at": c.CreatedAt, "delivered_at": c.DeliveredAt, "completed_at": c.CompletedAt, "result": json.RawMessage(orNull(c.Result)),
	})
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

// ParseEventQuery builds a store query from URL parameters:
// from, to (RFC 3339), host, hospital, department, kind, severity (min),
// rule, q (text in message), f.<field>=<value> (exact, repeatable), limit,
// cursor. A viewer's hospital scope always overrides "hospital".
func ParseEventQuery(vals map[string][]string, scope string) (store.EventQuery, error) {
	get := func(k string) string {
		if v := vals[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	var q store.EventQuery
	var err error
	if v := get("from"); v != "" {
		if q.From, err = parseTime(v); err != nil {
			return q, fmt.Errorf("from: %w", err)
		}
	}
	if v := get("to"); v != "" {
		if q.To, err = parseTime(v); err != nil {
			return q, fmt.Errorf("to: %w", err)
		}
	}
	q.HostID, q.Organization, q.Unit, q.Kind, q.RuleID, q.Text, q.Cursor =
		get("host"), get("hospital"), get("department"), get("kind"), get("rule"), get("q"), get("cursor")
	if v := get("severity"); v != "" {
		if q.MinSeverity, err = strconv.Atoi(v); err != nil || q.MinSeverity < 0 || q.MinSeverity > 100 {
			return q, errors.New("severity must be 0-100")
		}
	}
	if v := get("limit"); v != "" {
		if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit < 1 || q.Limit > 1000 {
			return q, errors.New("limit must be 1-1000")
		}
	}
	for k, v := range vals {
		if name, ok := strings.CutPrefix(k, "f."); ok && len(v) > 0 && v[0] != "" {
			if q.Fields == nil {
				q.Fields = map[string]string{}
			}
			if len(q.Fields) >= 8 {
				return q, errors.New("at most 8 field filters")
			}
			q.Fields[name] = v[0]
		}
	}
	if len(q.Text) > 256 {
		return q, errors.New("text filter longer than 256 bytes")
	}
	if scope != "" {
		q.Organization = scope
	}
	return q, nil
}

func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse %q as a time (use RFC 3339)", v)
}

func (s *Server) handleEventsQuery(w http.ResponseWriter, r *http.Request, p *Principal) {
	s.queryEvents(w, r, p, "")
}

func (s *Server) handleAlertsQuery(w http.ResponseWriter, r *http.Request, p *Principal) {
	s.queryEvents(w, r, p, "alert")
}

func (s *Server) queryEvents(w http.ResponseWriter, r *http.Request, p *Principal, kind string) {
	q, err := ParseEventQuery(r.URL.Query(), p.Scope())
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_query", "%v", err)
		return
	}
	if kind != "" {
		q.Kind = kind
	}
	page, err := s.st.QueryEvents(r.Context(), q)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_query", "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": page.Events, "next": page.Next})
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request, p *Principal) {
	toks, err := s.st.ListTokens(r.Context())
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not list tokens")
		return
	}
	type view struct {
		ID         string    `json:"id"`
		Hospital   string    `json:"hospital"`
		Department string    `json:"department"`
		CreatedAt  time.Time `json:"created_at"`
		ExpiresAt  time.Time `json:"expires_at"`
		Uses       int       `json:"uses"`
		MaxUses    int       `json:"max_uses"`
		Revoked    bool      `json:"revoked"`
		CreatedBy  string    `json:"created_by"`
	}
	out := make([]view, 0, len(toks))
	for _, t := range toks {
		out = append(out, view{t.ID, t.Organization, t.Unit, t.CreatedAt, t.ExpiresAt, t.Uses, t.MaxUses, !t.RevokedAt.IsZero(), t.CreatedBy})
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request, p *Principal) {
	var req TokenRequest
	if err := decodeJSON(w, r, 4096, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	adm := NewAdminFor(s)
	secret, tok, err := adm.CreateToken(r.Context(), p.Actor(r), req)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": tok.ID, "token": secret, "expires_at": tok.ExpiresAt, "ca_fingerprint": s.ca.Fingerprint()})
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request, p *Principal) {
	adm := NewAdminFor(s)
	if err := adm.RevokeToken(r.Context(), p.Actor(r), r.PathValue("id")); err != nil {
		writeErr(w, http.StatusNotFound, "not_found", "no such token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "revoked"})
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request, p *Principal) {
	users, err := s.st.ListUsers(r.Context())
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not list users")
		return
	}
	type view struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		Role      string    `json:"role"`
		Hospital  string    `json:"hospital"`
		CreatedAt time.Time `json:"created_at"`
		Locked    bool      `json:"locked"`
	}
	out := make([]view, 0, len(users))
	for _, u := range users {
		out = append(out, view{u.ID, u.Name, u.Role, u.Organization, u.CreatedAt, s.cfg.Now().Before(u.LockedUntil)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request, p *Principal) {
	var req UserRequest
	if err := decodeJSON(w, r, 4096, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	adm := NewAdminFor(s)
	u, err := adm.CreateUser(r.Context(), p.Actor(r), req)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": u.ID, "name": u.Name, "role": u.Role})
}

func (s *Server) handleCreateAPIKey(w http.ResponseWriter, r *http.Request, p *Principal) {
	var req struct {
		User string `json:"user"`
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, 4096, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	adm := NewAdminFor(s)
	secret, k, err := adm.CreateAPIKey(r.Context(), p.Actor(r), req.User, req.Name)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": k.ID, "key": secret})
}

func (s *Server) handleListAPIKeys(w http.ResponseWriter, r *http.Request, p *Principal) {
	keys, err := s.st.ListAPIKeys(r.Context())
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not list keys")
		return
	}
	type view struct {
		ID        string    `json:"id"`
		UserID    string    `json:"user_id"`
		Name      string    `json:"name"`
		CreatedAt time.Time `json:"created_at"`
		Revoked   bool      `json:"revoked"`
	}
	out := make([]view, 0, len(keys))
	for _, k := range keys {
		out = append(out, view{k.ID, k.UserID, k.Name, k.CreatedAt, !k.RevokedAt.IsZero()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_keys": out})
}

func (s *Server) handleRevokeAPIKey(w http.ResponseWriter, r *http.Request, p *Principal) {
	id := r.PathValue("id")
	if err := s.st.RevokeAPIKey(r.Context(), id, s.cfg.Now().UTC()); err != nil {
		writeErr(w, http.StatusNotFound, "not_found", "no such key")
		return
	}
	act := p.Actor(r)
	_, _ = s.audit.Record(r.Context(), act.Name, "apikey.revoke", id, act.Remote, nil)
	writeJSON(w, http.StatusOK, map[string]string{"status": "revoked"})
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, p *Principal) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	recs, err := s.st.ListAudit(r.Context(), after, limit)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not read audit log")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": recs})
}

// UnlockCode issues a code that lets someone at the host stop or uninstall
// its agent (tamper protection). Admins only; audited.
func (s *Server) UnlockCode(r *http.Request, p *Principal, agentID, action string, ttl time.Duration) (string, time.Time, error) {
	act := tamper.Action(action)
	if act != tamper.ActionStop && act != tamper.ActionUninstall && act != tamper.ActionDisable {
		return "", time.Time{}, fmt.Errorf("action must be stop, uninstall or disable")
	}
	if ttl <= 0 {
		ttl = time.Hour
	}
	a, err := s.scopedAgent(r, p, agentID)
	if err != nil {
		return "", time.Time{}, err
	}
	secret, err := s.st.GetSetting(r.Context(), tamperKey(a.ID))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("no tamper secret for this agent (enrolled before tamper protection): %w", err)
	}
	now := s.cfg.Now()
	code, err := tamper.NewCode(secret, a.ID, act, ttl, now)
	if err != nil {
		return "", time.Time{}, err
	}
	ac := p.Actor(r)
	if _, err := s.audit.Record(r.Context(), ac.Name, "agent.unlock-code", a.ID, ac.Remote, map[string]any{"action": action, "ttl": ttl.String()}); err != nil {
		return "", time.Time{}, err
	}
	return tamper.Format(code), now.Add(ttl), nil
}

func (s *Server) handleUnlockCode(w http.ResponseWriter, r *http.Request, p *Principal) {
	var req struct {
		Action string `json:"action"`
		TTL    string `json:"ttl"`
	}
	if err := decodeJSON(w, r, 4096, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	ttl := time.Hour
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil {
			writeErr(w, http.StatusBadRequest, "bad_request", "ttl: %v", err)
			return
		}
		ttl = d
	}
	code, exp, err := s.UnlockCode(r, p, r.PathValue("id"), req.Action, ttl)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeErr(w, http.StatusNotFound, "not_found", "no such host")
			return
		}
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"code": code, "action": req.Action, "expires_at": exp})
}
