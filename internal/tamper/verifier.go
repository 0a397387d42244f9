package tamper

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLocked is returned while a Verifier refuses codes after repeated
// failures; ErrReused when a code was already used.
var (
	ErrLocked = errors.New("too many wrong unlock codes; try again later")
	ErrReused = errors.New("unlock code was already used")
)

// Verifier is the agent side of unlock codes: Verify plus replay refusal and
// a growing lock-out after wrong codes, so 40 bits of MAC cannot be guessed
// online (after 5 failures each further failure doubles the wait, from 1
// minute up to 1 hour). It is safe for concurrent use. State is in memory:
// a restart resets it, which costs an attacker a restart per few guesses.
type Verifier struct {
	secret  []byte
	agentID string

	mu       sync.Mutex
	used     map[string]time.Time // normalized code -> expiry
	failures int
	until    time.Time
}

// NewVerifier returns a Verifier for one agent.
func NewVerifier(secret []byte, agentID string) (*Verifier, error) {
	if len(secret) < minSecret {
		return nil, ErrSecret
	}
	return &Verifier{secret: append([]byte(nil), secret...), agentID: agentID, used: map[string]time.Time{}}, nil
}

const freeFailures = 5

// Check verifies and consumes a code for action at time now.
func (v *Verifier) Check(action Action, code string, now time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if now.Before(v.until) {
		return fmt.Errorf("%w (%s left)", ErrLocked, v.until.Sub(now).Round(time.Second))
	}
	key := string(action) + ":" + normalize(code)
	if _, ok := v.used[key]; ok {
		return ErrReused
	}
	if err := Verify(v.secret, v.agentID, action, code, now); err != nil {
		v.failures++
		if v.failures >= freeFailures {
			wait := time.Minute << min(v.failures-freeFailures, 6)
			v.until = now.Add(min(wait, time.Hour))
		}
		return err
	}
	v.failures = 0
	for k, exp := range v.used { // forget expired codes: they fail Verify anyway
		if !now.Before(exp) {
			delete(v.used, k)
		}
	}
	v.used[key] = now.Add(MaxTTL + time.Minute)
	return nil
}
