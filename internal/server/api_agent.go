package server

import (
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/auth"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/pki"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/tamper"
)

// EnrollRequest is the body of POST /api/v1/enroll.
type EnrollRequest struct {
	Token    string `json:"token"`
	CSR      string `json:"csr"` // PEM
	HostName string `json:"hostname"`
	Version  string `json:"version"`
	OS       string `json:"os"`
}

// EnrollResponse is the answer to a successful enrolment.
type EnrollResponse struct {
	AgentID     string `json:"agent_id"`
	Certificate string `json:"certificate"` // PEM
	CA          string `json:"ca"`          // PEM
	Hospital    string `json:"hospital"`
	Department  string `json:"department"`
	// TamperSecret (hex) lets the agent verify stop and uninstall codes the
	// server issues; it is stored on both sides only.
	TamperSecret string `json:"tamper_secret"`
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	if !s.enrLim.Allow(RemoteIP(r), now) {
		writeErr(w, http.StatusTooManyRequests, "rate_limited", "too many enrolment attempts")
		return
	}
	var req EnrollRequest
	if err := decodeJSON(w, r, 64<<10, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	req.HostName = strings.TrimSpace(req.HostName)
	if req.HostName == "" || len(req.HostName) > 255 || len(req.Version) > 64 || len(req.OS) > 255 {
		writeErr(w, http.StatusBadRequest, "bad_request", "hostname (1-255 bytes), version and os are required within limits")
		return
	}
	tok, err := s.st.ConsumeToken(r.Context(), auth.HashSecret(req.Token), now.UTC())
	if err != nil {
		_, _ = s.audit.Record(r.Context(), "anonymous", "agent.enroll.refused", req.HostName, RemoteIP(r), map[string]string{"reason": "invalid token"})
		writeErr(w, http.StatusForbidden, "token_invalid", "enrolment token invalid, expired, used up or revoked")
		return
	}
	agentID := event.NewID()
	der, serial, err := s.ca.SignAgent([]byte(req.CSR), agentID, tok.Organization, tok.Unit)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_csr", "%v", err)
		return
	}
	secret, err := tamper.NewSecret()
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not create the agent secret")
		return
	}
	if err := s.st.PutSetting(r.Context(), tamperKey(agentID), secret); err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not store the agent secret")
		return
	}
	a := store.Agent{
		ID: agentID, HostName: req.HostName, Organization: tok.Organization, Unit: tok.Unit,
		CertSerial: serial, CertSHA256: pki.Fingerprint(der), EnrolledAt: now.UTC(), Version: req.Version, OS: req.OS,
	}
	if err := s.st.CreateAgent(r.Context(), a); err != nil {
		s.log.Error("create agent", "err", err)
		writeErr(w, http.StatusInternalServerError, "internal", "could not record the agent")
		return
	}
	_, _ = s.audit.Record(r.Context(), "token:"+tok.ID, "agent.enroll", agentID, RemoteIP(r),
		map[string]string{"hostname": req.HostName, "hospital": tok.Organization, "department": tok.Unit})
	s.log.Info("agent enrolled", "agent", agentID, "host", req.HostName, "hospital", tok.Organization)
	writeJSON(w, http.StatusOK, EnrollResponse{
		AgentID:      agentID,
		Certificate:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		CA:           string(s.ca.PEM()),
		Hospital:     tok.Organization,
		Department:   tok.Unit,
		TamperSecret: hex.EncodeToString(secret),
	})
}

func tamperKey(agentID string) string { return "tamper-secret:" + agentID }

func (s *Server) agentOnly(h func(http.ResponseWriter, *http.Request, store.Agent)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.agentFromTLS(r)
		if err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, errRevoked) {
				status = http.StatusForbidden
			}
			writeErr(w, status, "agent_auth", "%v", err)
			return
		}
		h(w, r, a)
	}
}

// Heartbeat is the body of POST /api/v1/agent/heartbeat.
type Heartbeat struct {
	Version    string `json:"version"`
	OS         string `json:"os"`
	HostName   string `json:"hostname"`
	UptimeSec  int64  `json:"uptime_sec"`
	SpoolDepth int64  `json:"spool_depth"`
	Dropped    int64  `json:"dropped"`
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request, a store.Agent) {
	var hb Heartbeat
	if err := decodeJSON(w, r, 16<<10, &hb); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	if len(hb.Version) > 64 || len(hb.OS) > 255 || len(hb.HostName) > 255 || hb.UptimeSec < 0 || hb.SpoolDepth < 0 || hb.Dropped < 0 {
		writeErr(w, http.StatusBadRequest, "bad_request", "heartbeat fields out of range")
		return
	}
	err := s.st.RecordHeartbeat(r.Context(), store.Heartbeat{
		AgentID: a.ID, At: s.cfg.Now().UTC(), Version: hb.Version, OS: hb.OS, HostName: hb.HostName,
		UptimeSec: hb.UptimeSec, SpoolDepth: hb.SpoolDepth, Dropped: hb.Dropped,
	})
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not record heartbeat")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "server_time": s.cfg.Now().UTC()})
}

// CommandMessage is a command as delivered to an agent.
type CommandMessage struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

func (s *Server) handleCommandPoll(w http.ResponseWriter, r *http.Request, a store.Agent) {
	wait := s.cfg.LongPoll
	if v := r.URL.Query().Get("wait"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 && d < wait {
			wait = d
		}
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		ch := s.waitChan(a.ID)
		cmds, err := s.st.PendingCommands(r.Context(), a.ID, s.cfg.Now().UTC())
		if err != nil {
			writeErr(w, http.StatusInternalServerError, "internal", "could not read commands")
			return
		}
		if len(cmds) > 0 {
			out := make([]CommandMessage, 0, len(cmds))
			for _, c := range cmds {
				out = append(out, CommandMessage{ID: c.ID, Name: c.Name, Args: json.RawMessage(c.Args)})
			}
			writeJSON(w, http.StatusOK, map[string]any{"commands": out})
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			writeJSON(w, http.StatusOK, map[string]any{"commands": []CommandMessage{}})
			return
		case <-r.Context().Done():
			return
		}
	}
}

// CommandResult is the body of POST /api/v1/agent/commands/{id}/result.
type CommandResult struct {
	Status string          `json:"status"` // done or failed
	Result json.RawMessage `json:"result"`
}

func (s *Server) handleCommandResult(w http.ResponseWriter, r *http.Request, a store.Agent) {
	var res CommandResult
	if err := decodeJSON(w, r, 1<<20, &res); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	if res.Status != "done" && res.Status != "failed" {
		writeErr(w, http.StatusBadRequest, "bad_request", "status must be done or failed")
		return
	}
	id := r.PathValue("id")
	if err := s.st.CompleteCommand(r.Context(), id, a.ID, res.Status, res.Result, s.cfg.Now().UTC()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeErr(w, http.StatusNotFound, "not_found", "no such command for this agent")
			return
		}
		writeErr(w, http.StatusInternalServerError, "internal", "could not record the result")
		return
	}
	_, _ = s.audit.Record(r.Context(), "agent:"+a.ID, "command.result", id, RemoteIP(r), map[string]string{"status": res.Status})
	writeJSON(w, http.StatusOK, map[string]string{"status": "recorded"})
}
