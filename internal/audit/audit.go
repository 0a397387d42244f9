// Package audit is medshield's tamper-evident audit log: every admin action
// and every access to patient-related data is appended as a record whose hash
// covers the previous record's hash, so that changing or removing any record
// breaks the chain from that point on. Verify walks the chain.
//
// The server and the audit command import it; engines do not.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/store"
)

// Log appends audit records to a store.
type Log struct {
	st store.Audit
}

// New returns a Log writing to st.
func New(st store.Audit) *Log { return &Log{st: st} }

// Record appends one record. detail is encoded as JSON (nil for none).
func (l *Log) Record(ctx context.Context, actor, action, target, remote string, detail any) (store.AuditRecord, error) {
	var d string
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return store.AuditRecord{}, fmt.Errorf("audit detail: %w", err)
		}
		d = string(b)
	}
	r := store.AuditRecord{At: time.Now().UTC().Truncate(time.Microsecond), Actor: actor, Action: action, Target: target, Detail: d, Remote: remote}
	return l.st.AppendAudit(ctx, r, Hash)
}

// Hash computes a record's chain hash: sha256 over the previous hash and a
// canonical, length-prefixed encoding of the record's fields. Length
// prefixes make field boundaries unambiguous.
func Hash(prevHash string, r store.AuditRecord) string {
	var b strings.Builder
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
		b.WriteByte(';')
	}
	field("medshield-audit-v1")
	field(prevHash)
	field(strconv.FormatInt(r.Seq, 10))
	field(r.At.UTC().Format(time.RFC3339Nano))
	field(r.Actor)
	field(r.Action)
	field(r.Target)
	field(r.Detail)
	field(r.Remote)
	s := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(s[:])
}

// VerifyResult is the outcome of Verify.
type VerifyResult struct {
	Records  int64
	OK       bool
	BrokenAt int64  // Seq of the first bad record, when !OK
	Reason   string // why it is bad
	LastHash string
}

// Verify walks the whole chain and reports the first broken record.
func Verify(ctx context.Context, st store.Audit) (VerifyResult, error) {
	res := VerifyResult{OK: true}
	prev := ""
	var after int64
	for {
		recs, err := st.ListAudit(ctx, after, 1000)
		if err != nil {
			return res, fmt.Errorf("read audit log: %w", err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			res.Records++
			switch {
			case r.Seq != after+1:
				return fail(res, r.Seq, fmt.Sprintf("sequence gap: expected %d, found %d", after+1, r.Seq)), nil
			case r.PrevHash != prev:
				return fail(res, r.Seq, "previous-hash link does not match the record before"), nil
			case Hash(prev, r) != r.Hash:
				return fail(res, r.Seq, "record content does not match its hash (modified)"), nil
			}
			prev, after = r.Hash, r.Seq
		}
	}
	res.LastHash = prev
	return res, nil
}

func fail(res VerifyResult, seq int64, reason string) VerifyResult {
	res.OK, res.BrokenAt, res.Reason = false, seq, reason
	return res
}
