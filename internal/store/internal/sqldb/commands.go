package sqldb

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/medshield/medshield/internal/store"
)

// Command statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
)

const commandCols = `id, agent_id, name, args, created_by, created_at, delivered_at, completed_at, result, status`

func scanCommand(r interface{ Scan(...any) error }) (store.Command, error) {
	var c store.Command
	var created, delivered, completed int64
	err := r.Scan(&c.ID, &c.AgentID, &c.Name, &c.Args, &c.CreatedBy, &created, &delivered, &completed, &c.Result, &c.Status)
	c.CreatedAt, c.DeliveredAt, c.CompletedAt = Time(created), Time(delivered), Time(completed)
	return c, err
}

// CreateCommand stores a command; an empty status means pending.
func (s *Store) CreateCommand(ctx context.Context, c store.Command) error {
	if c.Status == "" {
		c.Status = StatusPending
	}
	err := s.b.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO commands (`+commandCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			Text(c.ID), Text(c.AgentID), Text(c.Name), Blob(c.Args), Text(c.CreatedBy), NS(c.CreatedAt),
			NS(c.DeliveredAt), NS(c.CompletedAt), Blob(c.Result), Text(c.Status))
		return err
	})
	return s.existsErr(fmt.Sprintf("create command %q", c.ID), err)
}

// PendingCommands returns the agent's pending commands, oldest first, and
// marks them delivered at now. One conditional UPDATE does both, so a
// command is handed out once even when the agent polls twice at the same
// moment (PostgreSQL re-checks the status after waiting for the row lock).
func (s *Store) PendingCommands(ctx context.Context, agentID string, now time.Time) ([]store.Command, error) {
	var out []store.Command
	err := s.b.Write(ctx, func(q Querier) error {
		out = out[:0]
		rows, err := q.Query(ctx, `UPDATE commands SET status = ?, delivered_at = ?
			WHERE agent_id = ? AND status = ? RETURNING `+commandCols,
			StatusDelivered, nonZeroNS(now), Text(agentID), StatusPending)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCommand(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("pending commands of agent %q: %w", agentID, err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// CompleteCommand records the result of a command; only the agent it was
// sent to may complete it.
func (s *Store) CompleteCommand(ctx context.Context, id, agentID, status string, result []byte, at time.Time) error {
	var n int64
	err := s.b.Write(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `UPDATE commands SET status = ?, result = ?, completed_at = ? WHERE id = ? AND agent_id = ?`,
			Text(status), Blob(result), nonZeroNS(at), Text(id), Text(agentID))
		return err
	})
	return affectedOne(fmt.Sprintf("complete command %q", id), n, err)
}

// GetCommand returns one command.
func (s *Store) GetCommand(ctx context.Context, id string) (store.Command, error) {
	c, err := scanCommand(s.b.Read().QueryRow(ctx, `SELECT `+commandCols+` FROM commands WHERE id = ?`, Text(id)))
	return c, notFound(fmt.Sprintf("get command %q", id), err)
}

// GetSetting returns a setting's value.
func (s *Store) GetSetting(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.b.Read().QueryRow(ctx, `SELECT value FROM settings WHERE name = ?`, Text(key)).Scan(&v)
	if err != nil {
		return nil, notFound(fmt.Sprintf("get setting %q", key), err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// PutSetting creates or replaces a setting.
func (s *Store) PutSetting(ctx context.Context, key string, value []byte) error {
	err := s.b.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, Text(key), Blob(value))
		return err
	})
	if err != nil {
		return fmt.Errorf("put setting %q: %w", key, err)
	}
	return nil
}
