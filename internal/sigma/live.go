package sigma

import (
	"sync"
	"sync/atomic"
	"time"
)

// Live runs a rule set on a stream of events, as the server does on
// ingested events: Process may be called from many goroutines (matching
// runs in parallel; the correlation state is updated under a lock) and
// Reload swaps in a new rule set without stopping the stream.
//
// Correlations assume events arrive roughly in time order, as ingest
// delivers them; an event older than the correlation windows it falls in
// is still counted in the current window.
type Live struct {
	rs   atomic.Pointer[RuleSet]
	mu   sync.Mutex
	corr *Correlator
}

// NewLive returns a Live running rs.
func NewLive(rs *RuleSet) *Live {
	l := &Live{corr: rs.NewCorrelator()}
	l.rs.Store(rs)
	return l
}

// RuleSet returns the rule set in use.
func (l *Live) RuleSet() *RuleSet { return l.rs.Load() }

// Process matches one event at time t. It returns the matches that should
// raise alerts (rules that only feed correlations are left out) and the
// correlation alerts that completed; ref is handed back in those.
func (l *Live) Process(ev Event, t time.Time, ref any) ([]Match, []CorrelationAlert) {
	rs := l.rs.Load()
	ms := rs.Match(ev)
	var fired []CorrelationAlert
	correlated := false
	l.mu.Lock()
	if l.corr.rs == rs {
		for _, m := range ms {
			if l.corr.Correlated(m.Rule) {
				correlated = true
				break
			}
		}
		if correlated {
			fired = l.corr.Observe(ev, t, ms, ref)
		}
	}
	l.mu.Unlock()
	out := ms[:0]
	for _, m := range ms {
		if !m.Rule.CorrelationOnly {
			out = append(out, m)
		}
	}
	return out, fired
}

// Reload switches to rs. Open correlation windows of the old set are
// closed and what they complete is returned.
func (l *Live) Reload(rs *RuleSet) []CorrelationAlert {
	l.mu.Lock()
	defer l.mu.Unlock()
	fired := l.corr.Flush()
	l.corr = rs.NewCorrelator()
	l.rs.Store(rs)
	return fired
}

// Flush closes every open correlation window (at shutdown).
func (l *Live) Flush() []CorrelationAlert {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.corr.Flush()
}
