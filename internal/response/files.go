package response

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/medshield/medshield/internal/quarantine"
)

var errNoStore = errors.New("this agent has no quarantine store")

// QuarantineArgs: {"path": "/abs/file", "rule": "ns:Rule", "detail": "why"}.
// path is required; rule and detail are recorded as the reason.
type QuarantineArgs struct {
	Path   string `json:"path"`
	Rule   string `json:"rule,omitempty"`
	Detail string `json:"detail,omitempty"`
}

func (a *QuarantineArgs) validate() error {
	if len(a.Rule) > 512 || len(a.Detail) > 4096 {
		return invalid("rule or detail too long")
	}
	return checkPath("path", a.Path)
}

// RestoreArgs: {"id": "...", "to": "/abs/path", "overwrite": false}. to is
// optional (default: the original path).
type RestoreArgs struct {
	ID        string `json:"id"`
	To        string `json:"to,omitempty"`
	Overwrite bool   `json:"overwrite,omitempty"`
}

func (a *RestoreArgs) validate() error {
	if a.ID == "" || len(a.ID) > 64 {
		return invalid("id is required (at most 64 characters)")
	}
	if a.To != "" {
		return checkPath("to", a.To)
	}
	return nil
}

// DeleteArgs: {"id": "..."}.
type DeleteArgs struct {
	ID string `json:"id"`
}

func (a *DeleteArgs) validate() error {
	if a.ID == "" || len(a.ID) > 64 {
		return invalid("id is required (at most 64 characters)")
	}
	return nil
}

// QuarantineResult is the record of the quarantined file.
type QuarantineResult struct {
	Record quarantine.Record `json:"record"`
}

// RestoreResult says where the file went back to.
type RestoreResult struct {
	ID   string `json:"id"`
	Path string `json:"path"`
}

// DeleteResult names the deleted record.
type DeleteResult struct {
	ID           string `json:"id"`
	OriginalPath string `json:"original_path"`
	SHA256       string `json:"sha256"`
}

func (x *Executor) quarantineFile(a QuarantineArgs) (any, error) {
	if x.Quarantine == nil {
		return nil, errNoStore
	}
	rec, err := x.Quarantine.Quarantine(a.Path, quarantine.Reason{Rule: a.Rule, Source: "console", Detail: a.Detail})
	if err != nil {
		return nil, err
	}
	return QuarantineResult{Record: rec}, nil
}

func (x *Executor) restoreFile(a RestoreArgs) (any, error) {
	if x.Quarantine == nil {
		return nil, errNoStore
	}
	p, err := x.Quarantine.RestoreWith(a.ID, quarantine.RestoreOptions{To: a.To, Overwrite: a.Overwrite})
	if err != nil {
		return nil, err
	}
	return RestoreResult{ID: a.ID, Path: p}, nil
}

func (x *Executor) deleteQuarantined(a DeleteArgs) (any, error) {
	if x.Quarantine == nil {
		return nil, errNoStore
	}
	rec, err := x.Quarantine.Get(a.ID)
	if err != nil {
		return nil, err
	}
	if err := x.Quarantine.Delete(a.ID); err != nil {
		return nil, err
	}
	return DeleteResult{ID: rec.ID, OriginalPath: rec.OriginalPath, SHA256: rec.SHA256}, nil
}

// CollectArgs: {"path": "/abs/file", "max_bytes": 1048576}. max_bytes is
// optional and capped by the executor's MaxCollect.
type CollectArgs struct {
	Path     string `json:"path"`
	MaxBytes int64  `json:"max_bytes,omitempty"`
}

func (a *CollectArgs) validate() error {
	if a.MaxBytes < 0 {
		return invalid("max_bytes must not be negative")
	}
	return checkPath("path", a.Path)
}

// CollectResult carries a file's metadata, its sha256 over the whole file,
// and its content up to the limit (Truncated says whether all of it).
type CollectResult struct {
	Path      string    `json:"path"`
	Size      int64     `json:"size"`
	Mode      string    `json:"mode"`
	Modified  time.Time `json:"modified"`
	SHA256    string    `json:"sha256"`
	Content   string    `json:"content_base64"`
	Returned  int64     `json:"returned_bytes"`
	Truncated bool      `json:"truncated"`
}

func (x *Executor) collect(ctx context.Context, a CollectArgs) (any, error) {
	limit := x.MaxCollect
	if limit <= 0 {
		limit = DefaultMaxCollect
	}
	if a.MaxBytes > 0 && a.MaxBytes < limit {
		limit = a.MaxBytes
	}
	f, err := os.Open(a.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", a.Path)
	}
	h := sha256.New()
	head := make([]byte, 0, min(limit, st.Size()+1))
	buf := make([]byte, 64<<10)
	var total int64
	for i := 0; ; i++ {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err() // hashing a huge file can take a while
		}
		n, rerr := f.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if room := limit - int64(len(head)); room > 0 {
				head = append(head, buf[:min(int64(n), room)]...)
			}
			total += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("read %s: %w", a.Path, rerr)
		}
	}
	return CollectResult{
		Path: a.Path, Size: total, Mode: st.Mode().String(), Modified: st.ModTime().UTC(),
		SHA256: hex.EncodeToString(h.Sum(nil)), Content: base64.StdEncoding.EncodeToString(head),
		Returned: int64(len(head)), Truncated: int64(len(head)) < total,
	}, nil
}
