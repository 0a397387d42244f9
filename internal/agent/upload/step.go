package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/medshield/medshield/internal/agent/spool"
	"github.com/medshield/medshield/internal/wire"
)

// Step makes one attempt: it sends the oldest batch and returns how many
// events left the spool (acknowledged or quarantined). n == 0 with a nil
// error means the spool is empty. A *retryError (or any other error) means
// the batch is still in the spool.
func (u *Uploader) Step(ctx context.Context) (n int, err error) {
	b, err := u.o.Source.Peek(u.curMax, u.o.MaxBytes)
	if err != nil {
		u.failed(err)
		return 0, retryf(0, "read spool: %w", err)
	}
	if len(b.Records) == 0 {
		return 0, nil
	}
	body, err := wire.EncodeLines(b.Records)
	if err != nil {
		// A record that cannot even be framed never will be.
		return u.quarantine(b, "encode: "+err.Error())
	}
	status, respBody, retryAfter, err := u.post(ctx, body)
	if err != nil {
		u.failed(err)
		return 0, retryf(0, "post batch of %d events: %w", len(b.Records), err)
	}
	switch {
	case status >= 200 && status < 300:
		return u.acknowledged(b, body, respBody)
	case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge || status == http.StatusUnprocessableEntity:
		if len(b.Records) > 1 {
			// Narrow down before quarantining anything: the good events
			// around a bad one must still reach the server.
			u.curMax = narrow(len(b.Records), rejectedLine(respBody))
			u.log.Warn("server refused a batch, narrowing it down", "status", status, "events", len(b.Records), "next", u.curMax, "reason", reason(respBody))
			return 0, errShrunk
		}
		return u.quarantine(b, fmt.Sprintf("HTTP %d: %s", status, reason(respBody)))
	default:
		// 5xx, 408, 429, and auth or routing errors (401, 403, 404): the
		// batch is fine, the server or our identity is not; keep it.
		err := fmt.Errorf("server answered HTTP %d: %s", status, reason(respBody))
		u.failed(err)
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			u.log.Error("server refused the agent's identity; events are kept in the spool", "status", status)
		}
		return 0, &retryError{err: err, after: retryAfter}
	}
}

func (u *Uploader) acknowledged(b spool.Batch, body, respBody []byte) (int, error) {
	if err := u.o.Source.Ack(b.Next); err != nil {
		// The server has the batch; sending it again is harmless.
		u.failed(err)
		return 0, retryf(0, "ack spool: %w", err)
	}
	var ack wire.Ack
	if err := json.Unmarshal(respBody, &ack); err != nil || ack.Accepted+ack.Duplicates != len(b.Records) {
		u.log.Warn("unexpected acknowledgement body", "events", len(b.Records), "body", reason(respBody))
	}
	if u.curMax < u.o.MaxEvents {
		u.curMax = min(u.curMax*2, u.o.MaxEvents)
	}
	u.mu.Lock()
	u.stats.Batches++
	u.stats.Events += uint64(len(b.Records))
	u.stats.Duplicates += uint64(max(ack.Duplicates, 0))
	u.stats.BytesSent += uint64(len(body))
	u.stats.ConsecutiveErrors = 0
	u.stats.LastSuccess = time.Now()
	u.mu.Unlock()
	return len(b.Records), nil
}

func (u *Uploader) quarantine(b spool.Batch, why string) (int, error) {
	u.log.Error("server rejected a batch, quarantined it", "events", len(b.Records), "reason", why)
	if err := u.o.Source.Reject(b, why); err != nil {
		u.failed(err)
		return 0, retryf(0, "quarantine batch: %w", err)
	}
	u.mu.Lock()
	u.stats.RejectedBatches++
	u.stats.RejectedEvents += uint64(len(b.Records))
	u.stats.ConsecutiveErrors = 0
	u.mu.Unlock()
	return len(b.Records), nil
}

// post sends one batch. The request outlives ctx by ShutdownGrace so that a
// clean stop can still collect the server's acknowledgement.
func (u *Uploader) post(ctx context.Context, body []byte) (status int, respBody []byte, retryAfter time.Duration, err error) {
	reqCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), u.o.RequestTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if u.o.ShutdownGrace <= 0 {
			cancel()
			return
		}
		t := time.NewTimer(u.o.ShutdownGrace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-reqCtx.Done():
		}
	})
	defer stop()

	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, u.o.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("build request: %w", err)
	}
	for k, vs := range u.o.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", wire.ContentType)
	req.Header.Set("Content-Encoding", wire.ContentEncoding)
	resp, err := u.o.Client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	// Bounded: answers are small; reading to the end lets the connection be reused.
	respBody, err = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil && resp.StatusCode/100 == 2 {
		// Without the full answer we cannot be sure of the commit; retry.
		return 0, nil, 0, fmt.Errorf("read acknowledgement: %w", err)
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil && secs > 0 {
			retryAfter = time.Duration(secs) * time.Second
		}
	}
	return resp.StatusCode, respBody, retryAfter, nil
}

// narrow returns the size of the next batch after the server refused one of
// n > 1 events. When the refusal names a line, the events before it are sent
// on their own (they passed) and a fault on line 1 isolates that event;
// otherwise the batch is halved. Each poison event is thus quarantined alone
// after O(log n) attempts.
func narrow(n, line int) int {
	switch {
	case line == 1:
		return 1
	case line > 1 && line <= n:
		return line - 1
	}
	return max(n/2, 1)
}

func rejectedLine(body []byte) int {
	var rej wire.Rejection
	if json.Unmarshal(body, &rej) != nil {
		return 0
	}
	return rej.Line
}

// reason extracts the server's reason for logs, bounded.
func reason(body []byte) string {
	var rej wire.Rejection
	if json.Unmarshal(body, &rej) == nil && rej.Reason != "" {
		if rej.Line > 0 {
			return fmt.Sprintf("%s at line %d: %s", rej.Reason, rej.Line, rej.Error)
		}
		return fmt.Sprintf("%s: %s", rej.Reason, rej.Error)
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return strconv.Quote(string(bytes.TrimSpace(body)))
}
