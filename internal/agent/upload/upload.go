// Package upload moves spooled events to the server: it peeks a batch from
// the agent spool, encodes it with internal/wire, POSTs it over the HTTP
// client it is given (the agent's mutual-TLS client) and acknowledges the
// spool only after the server has answered 2xx, i.e. committed the batch.
//
// Failures are classified: network errors, timeouts, 5xx, 429 and
// authentication or routing errors (401, 403, 404, ...) are retried with
// capped exponential backoff and full jitter, keeping the batch. 400, 413 and
// 422 mean the content is refused: a multi-event batch is narrowed down (to
// the events before the line the server names, or halved) until the bad
// event travels alone; that single poison event is quarantined in the
// spool's reject file and counted, and the pipeline moves on.
//
// The package does not build TLS configuration, enrol, or choose URLs; the
// agent runner (internal/agent) composes it with the spool and its client.
package upload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/medshield/medshield/internal/agent/spool"
)

// Source is the queue the uploader drains; *spool.Spool implements it.
type Source interface {
	Peek(maxRecords, maxBytes int) (spool.Batch, error)
	Ack(pos spool.Position) error
	Reject(b spool.Batch, reason string) error
	Ready() <-chan struct{}
}

// Options configure an Uploader. URL, Client and Source are required; the
// other fields default as documented.
type Options struct {
	URL    string       // the batch endpoint, e.g. https://server:8443/api/v1/events
	Client *http.Client // carries the mTLS configuration
	Source Source
	Header http.Header // extra request headers (optional)

	MaxEvents int // events per batch (default 1000)
	MaxBytes  int // uncompressed payload bytes per batch (default 1 MiB)

	// Backoff after a failed attempt n (1-based) is a uniformly random
	// duration in [0, min(BackoffMax, BackoffBase*2^(n-1))) ("full jitter",
	// which spreads reconnecting agents after a server outage).
	BackoffBase time.Duration // default 500ms
	BackoffMax  time.Duration // default 2m

	RequestTimeout time.Duration // per attempt (default 60s)
	// ShutdownGrace lets an in-flight request finish for up to this long
	// after the context is cancelled, so a clean stop acknowledges what the
	// server committed. 0 cancels it at once (the batch stays in the spool
	// and is sent again; the server ignores the duplicates).
	ShutdownGrace time.Duration
	// IdlePoll bounds the wait for new records when the source's Ready
	// signal is missed (default 5s).
	IdlePoll time.Duration

	Logger *slog.Logger
	Rand   *rand.Rand // jitter source (default: randomly seeded)
}

// Stats count the uploader's work since it was created.
type Stats struct {
	Batches, Events   uint64 // acknowledged by the server
	Duplicates        uint64 // events the server already had
	BytesSent         uint64 // compressed bytes of acknowledged batches
	RejectedBatches   uint64 // quarantined as poison
	RejectedEvents    uint64
	Retries           uint64 // failed attempts that will be retried
	ConsecutiveErrors int
	LastError         string
	LastSuccess       time.Time
}

// Uploader drains a Source to the server. Run it in one goroutine.
type Uploader struct {
	o   Options
	log *slog.Logger

	curMax int // current batch size; shrinks on 413, grows back on success

	mu    sync.Mutex
	stats Stats
	rnd   *rand.Rand
}

// New checks the options and returns an Uploader.
func New(o Options) (*Uploader, error) {
	if o.URL == "" || o.Client == nil || o.Source == nil {
		return nil, errors.New("upload: URL, Client and Source are required")
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 1000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 20
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 500 * time.Millisecond
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 2 * time.Minute
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 60 * time.Second
	}
	if o.IdlePoll <= 0 {
		o.IdlePoll = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return &Uploader{o: o, log: o.Logger.With("component", "upload"), curMax: o.MaxEvents, rnd: o.Rand}, nil
}

// Stats returns a snapshot of the counters.
func (u *Uploader) Stats() Stats {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.stats
}

// Run uploads until ctx is cancelled, then returns nil. It never gives up
// on a batch except by quarantining a poison one.
func (u *Uploader) Run(ctx context.Context) error {
	attempt := 0
	for ctx.Err() == nil {
		n, err := u.Step(ctx)
		var retry *retryError
		switch {
		case err == nil && n > 0:
			attempt = 0
			continue
		case err == nil:
			u.waitIdle(ctx)
			continue
		case errors.Is(err, errShrunk):
			continue
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &retry):
		}
		attempt++
		d := u.backoff(attempt)
		if retry != nil && retry.after > d {
			d = min(retry.after, u.o.BackoffMax)
		}
		u.log.Warn("upload failed, will retry", "err", err, "attempt", attempt, "in", d)
		sleep(ctx, d)
	}
	return nil
}

// backoff returns the full-jitter delay before retry number attempt.
func (u *Uploader) backoff(attempt int) time.Duration {
	ceil := u.o.BackoffMax
	if attempt < 40 {
		ceil = min(ceil, u.o.BackoffBase<<(attempt-1))
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return time.Duration(u.rnd.Int64N(int64(ceil) + 1))
}

func (u *Uploader) waitIdle(ctx context.Context) {
	t := time.NewTimer(u.o.IdlePoll)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-u.o.Source.Ready():
	case <-t.C:
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (u *Uploader) failed(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.stats.Retries++
	u.stats.ConsecutiveErrors++
	u.stats.LastError = err.Error()
}

// retryError is a failure after which the same batch is tried again.
type retryError struct {
	err   error
	after time.Duration // server's Retry-After, if any
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

var errShrunk = errors.New("server refused the batch; retrying with smaller batches to isolate the fault")

func retryf(after time.Duration, format string, args ...any) error {
	return &retryError{err: fmt.Errorf(format, args...), after: after}
}
