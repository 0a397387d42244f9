package server

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
)

// alertNamespace derives deterministic alert ids from (event id, rule id), so
// that a batch retried after a crash produces the same alerts, which the
// store then ignores as duplicates.
var alertNamespace = uuid.MustParse("6f1c3f4e-3c1e-4d7a-9a53-6d6564736869")

// AlertID returns the deterministic id of the alert a rule raised on an event.
func AlertID(eventID, ruleID string) string {
	return uuid.NewSHA1(alertNamespace, []byte(eventID+"\x00"+ruleID)).String()
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request, a store.Agent) {
	events, rej := s.decodeBatch(w, r)
	if rej != nil {
		s.log.Warn("batch rejected", "agent", a.ID, "reason", rej.Reason, "status", rej.status)
		writeJSON(w, rej.status, rej)
		return
	}
	ack, err := s.Ingest(r.Context(), a, events)
	if err != nil {
		s.log.Error("ingest", "agent", a.ID, "err", err)
		writeErr(w, http.StatusServiceUnavailable, "store", "could not store the batch; retry")
		return
	}
	writeJSON(w, http.StatusOK, ack)
}

// IngestAck reports what happened to a batch.
type IngestAck struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Alerts     int `json:"alerts"`
}

// Ingest stamps a batch with the agent's identity, stores it in one
// transaction, runs the detectors and stores their alerts. Identity fields
// (agent, hospital, department) always come from the enrolment record, never
// from the agent's own claims.
func (s *Server) Ingest(ctx context.Context, a store.Agent, events []event.Event) (IngestAck, error) {
	for i := range events {
		ev := &events[i]
		ev.AgentID = a.ID
		ev.Organization = a.Organization
		ev.Unit = a.Unit
		if ev.HostID == "" {
			ev.HostID = a.ID
		}
		if ev.HostName == "" {
			ev.HostName = a.HostName
		}
	}
	inserted, err := s.st.AppendEvents(ctx, events)
	if err != nil {
		return IngestAck{}, err
	}
	ack := IngestAck{Accepted: inserted, Duplicates: len(events) - inserted}
	for i := range events {
		if events[i].Kind == event.KindState && events[i].Dataset == "host.inventory" {
			if raw, err := json.Marshal(&events[i]); err == nil {
				_ = s.st.SetInventory(ctx, a.ID, raw)
			}
		}
	}
	alerts := s.detect(ctx, a, events)
	if len(alerts) > 0 {
		n, err := s.st.AppendEvents(ctx, alerts)
		if err != nil {
			// The events are committed; the agent will retry the batch (no ack)
			// and the deterministic alert ids make the retry idempotent.
			return IngestAck{}, err
		}
		ack.Alerts = n
	}
	return ack, nil
}

func (s *Server) detect(ctx context.Context, a store.Agent, events []event.Event) []event.Event {
	s.detMu.RLock()
	dets := s.detectors
	s.detMu.RUnlock()
	var alerts []event.Event
	for _, d := range dets {
		for _, al := range d.Detect(ctx, events) {
			if al.Rule == nil {
				continue
			}
			src := al.ID
			al.ID = AlertID(src, d.Name()+":"+al.Rule.ID)
			if al.Kind != event.KindState {
				al.Kind = event.KindAlert // detectors may also derive state records (e.g. findings)
			}
			al.AgentID, al.Organization, al.Unit = a.ID, a.Organization, a.Unit
			if al.HostID == "" {
				al.HostID = a.ID
			}
			if al.HostName == "" {
				al.HostName = a.HostName
			}
			alerts = append(alerts, al)
		}
	}
	return alerts
}
