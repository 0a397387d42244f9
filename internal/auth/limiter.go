package auth

import (
	"sync"
	"time"
)

// Limiter throttles login attempts per key (client address and user name):
// a token bucket of Burst attempts refilled at one per Interval. It bounds
// its memory by forgetting idle keys.
type Limiter struct {
	Burst    int
	Interval time.Duration
	MaxKeys  int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter allowing burst attempts, one more per interval.
func NewLimiter(burst int, interval time.Duration) *Limiter {
	return &Limiter{Burst: burst, Interval: interval, MaxKeys: 100000, buckets: map[string]*bucket{}}
}

// Allow reports whether one attempt for key is allowed at now.
func (l *Limiter) Allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.MaxKeys {
			l.evict(now)
		}
		b = &bucket{tokens: float64(l.Burst), last: now}
		l.buckets[key] = b
	}
	b.tokens += now.Sub(b.last).Seconds() / l.Interval.Seconds()
	if b.tokens > float64(l.Burst) {
		b.tokens = float64(l.Burst)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *Limiter) evict(now time.Time) {
	full := time.Duration(l.Burst) * l.Interval
	for k, b := range l.buckets {
		if now.Sub(b.last) > full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.MaxKeys { // still full: drop everything rather than grow
		l.buckets = map[string]*bucket{}
	}
}
