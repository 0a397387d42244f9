package sqldb

import (
	"context"
	"fmt"

	"github.com/medshield/medshield/internal/store"
)

// MaxAuditPage bounds ListAudit.
const MaxAuditPage = 10000

// AppendAudit appends a record with the next sequence number, computing its
// hash from the previous record inside the same (serialised) transaction.
func (s *Store) AppendAudit(ctx context.Context, r store.AuditRecord, chain func(prevHash string, r store.AuditRecord) string) (store.AuditRecord, error) {
	var out store.AuditRecord
	err := s.b.Write(ctx, func(q Querier) error {
		if lock := s.b.LockAudit(); lock != "" {
			if _, err := q.Exec(ctx, lock); err != nil {
				return fmt.Errorf("lock audit log: %w", err)
			}
		}
		var prevSeq int64
		var prevHash string
		err := q.QueryRow(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&prevSeq, &prevHash)
		if err != nil && !IsNotFound(err) {
			return fmt.Errorf("read last audit record: %w", err)
		}
		rec := r
		rec.Seq = prevSeq + 1
		rec.At = Time(NS(r.At)) // the stored form, so the hash verifies after reading back
		rec.Actor, rec.Action, rec.Target = Text(r.Actor), Text(r.Action), Text(r.Target)
		rec.Detail, rec.Remote = Text(r.Detail), Text(r.Remote)
		rec.PrevHash = prevHash
		rec.Hash = chain(prevHash, rec)
		_, err = q.Exec(ctx, `INSERT INTO audit (seq, at, actor, action, target, detail, remote, prev_hash, hash)
			VALUES (?,?,?,?,?,?,?,?,?)`, rec.Seq, NS(rec.At), rec.Actor, rec.Action, rec.Target,
			rec.Detail, rec.Remote, rec.PrevHash, rec.Hash)
		if err != nil {
			return err
		}
		out = rec
		return nil
	})
	if err != nil {
		return store.AuditRecord{}, fmt.Errorf("append audit %s: %w", r.Action, err)
	}
	return out, nil
}

// ListAudit returns up to limit records with Seq > after, in order.
func (s *Store) ListAudit(ctx context.Context, after int64, limit int) ([]store.AuditRecord, error) {
	if limit <= 0 || limit > MaxAuditPage {
		limit = MaxAuditPage
	}
	rows, err := s.b.Read().Query(ctx, `SELECT seq, at, actor, action, target, detail, remote, prev_hash, hash
		FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditRecord
	for rows.Next() {
		var r store.AuditRecord
		var at int64
		if err := rows.Scan(&r.Seq, &at, &r.Actor, &r.Action, &r.Target, &r.Detail, &r.Remote, &r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		r.At = Time(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}
