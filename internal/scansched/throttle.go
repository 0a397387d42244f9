package scansched

import (
	"context"
	"io"
	"sync"
	"time"
)

// Limiter is a token bucket on bytes read, shared by all workers so the
// configured rate is the whole scanner's.
type Limiter struct {
	mu     sync.Mutex
	rate   float64 // bytes per second; <= 0: unlimited
	burst  float64
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter of rate bytes/s with the given burst (the
// most that can be read at once after an idle period). rate <= 0 disables
// limiting.
func NewLimiter(rate, burst int64) *Limiter {
	if burst <= 0 {
		burst = rate / 8
	}
	return &Limiter{rate: float64(rate), burst: float64(burst), tokens: float64(burst)}
}

// Wait blocks until n bytes may be read, or ctx is done. It reserves the
// tokens first and then sleeps off any debt, so concurrent callers queue
// fairly and the long-run rate is exact.
func (l *Limiter) Wait(ctx context.Context, n int) error {
	if l == nil || l.rate <= 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	if !l.last.IsZero() {
		l.tokens += now.Sub(l.last).Seconds() * l.rate
		if l.tokens > l.burst {
			l.tokens = l.burst
		}
	}
	l.last = now
	l.tokens -= float64(n)
	debt := l.tokens
	l.mu.Unlock()
	if debt >= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(time.Duration(-debt / l.rate * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readChunk is the unit of throttled reads.
const readChunk = 64 << 10

// limitedReader charges every read to the limiter before it happens.
type limitedReader struct {
	ctx context.Context
	r   io.Reader
	l   *Limiter
}

func (lr *limitedReader) Read(p []byte) (int, error) {
	if len(p) > readChunk {
		p = p[:readChunk]
	}
	if err := lr.l.Wait(lr.ctx, len(p)); err != nil {
		return 0, err
	}
	return lr.r.Read(p)
}
