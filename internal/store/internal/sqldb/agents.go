package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/medshield/medshield/internal/store"
)

const agentCols = `id, host_name, organization, unit, cert_serial, cert_sha256, enrolled_at,
	revoked_at, last_seen, version, os, spool_depth, dropped, uptime_sec, inventory`

func scanAgent(r interface{ Scan(...any) error }) (store.Agent, error) {
	var a store.Agent
	var enrolled, revoked, seen int64
	err := r.Scan(&a.ID, &a.HostName, &a.Organization, &a.Unit, &a.CertSerial, &a.CertSHA256,
		&enrolled, &revoked, &seen, &a.Version, &a.OS, &a.SpoolDepth, &a.Dropped, &a.UptimeSec, &a.Inventory)
	a.EnrolledAt, a.RevokedAt, a.LastSeen = Time(enrolled), Time(revoked), Time(seen)
	return a, err
}

// CreateAgent stores a new agent.
func (s *Store) CreateAgent(ctx context.Context, a store.Agent) error {
	err := s.b.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO agents (`+agentCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			Text(a.ID), Text(a.HostName), Text(a.Organization), Text(a.Unit), Text(a.CertSerial), Text(a.CertSHA256),
			NS(a.EnrolledAt), NS(a.RevokedAt), NS(a.LastSeen), Text(a.Version), Text(a.OS),
			a.SpoolDepth, a.Dropped, a.UptimeSec, Blob(a.Inventory))
		return err
	})
	return s.existsErr(fmt.Sprintf("create agent %q", a.ID), err)
}

// GetAgent returns one agent.
func (s *Store) GetAgent(ctx context.Context, id string) (store.Agent, error) {
	a, err := scanAgent(s.b.Read().QueryRow(ctx, `SELECT `+agentCols+` FROM agents WHERE id = ?`, Text(id)))
	return a, notFound(fmt.Sprintf("get agent %q", id), err)
}

// ListAgents lists agents by host name, optionally of one hospital.
func (s *Store) ListAgents(ctx context.Context, organization string) ([]store.Agent, error) {
	query, args := `SELECT `+agentCols+` FROM agents`, []any{}
	if organization != "" {
		query += ` WHERE organization = ?`
		args = append(args, Text(organization))
	}
	rows, err := s.b.Read().Query(ctx, query+` ORDER BY host_name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	defer rows.Close()
	var out []store.Agent
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, fmt.Errorf("list agents: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return out, nil
}

// RecordHeartbeat updates an agent's status. Empty version, OS or host
// name in the heartbeat leave the stored values alone.
func (s *Store) RecordHeartbeat(ctx context.Context, h store.Heartbeat) error {
	var n int64
	err := s.b.Write(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `UPDATE agents SET last_seen = ?,
			version = CASE WHEN ? = '' THEN version ELSE ? END,
			os = CASE WHEN ? = '' THEN os ELSE ? END,
			host_name = CASE WHEN ? = '' THEN host_name ELSE ? END,
			uptime_sec = ?, spool_depth = ?, dropped = ? WHERE id = ?`,
			NS(h.At), Text(h.Version), Text(h.Version), Text(h.OS), Text(h.OS),
			Text(h.HostName), Text(h.HostName), h.UptimeSec, h.SpoolDepth, h.Dropped, Text(h.AgentID))
		return err
	})
	return affectedOne(fmt.Sprintf("heartbeat of agent %q", h.AgentID), n, err)
}

// SetInventory stores the last inventory event of an agent.
func (s *Store) SetInventory(ctx context.Context, agentID string, inventory []byte) error {
	var n int64
	err := s.b.Write(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `UPDATE agents SET inventory = ? WHERE id = ?`, Blob(inventory), Text(agentID))
		return err
	})
	return affectedOne(fmt.Sprintf("set inventory of agent %q", agentID), n, err)
}

// RevokeAgent marks an agent revoked at at; revoking twice keeps the first
// time.
func (s *Store) RevokeAgent(ctx context.Context, id string, at time.Time) error {
	var n int64
	err := s.b.Write(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `UPDATE agents SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
			WHERE id = ?`, nonZeroNS(at), Text(id))
		return err
	})
	return affectedOne(fmt.Sprintf("revoke agent %q", id), n, err)
}

// IsRevokedSerial reports whether serial belongs to a revoked agent or to
// no agent at all (fail closed).
func (s *Store) IsRevokedSerial(ctx context.Context, serial string) (bool, error) {
	if serial == "" {
		return true, nil
	}
	var revoked int64
	err := s.b.Read().QueryRow(ctx, `SELECT revoked_at FROM agents WHERE cert_serial = ?
		ORDER BY revoked_at LIMIT 1`, Text(serial)).Scan(&revoked)
	if IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return true, fmt.Errorf("check certificate serial: %w", err)
	}
	return revoked != 0, nil
}

// nonZeroNS stores a revocation time; a zero time would read back as "not
// revoked", so it becomes the earliest non-zero instant instead.
func nonZeroNS(t time.Time) int64 {
	if n := NS(t); n != 0 {
		return n
	}
	return 1
}
