package tamper

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Action is what an unlock code permits. A code is valid for exactly one
// action.
type Action string

// Actions the agent guards.
const (
	ActionStop      Action = "stop"      // stop the agent service
	ActionUninstall Action = "uninstall" // remove the agent
	ActionDisable   Action = "disable"   // turn tamper protection off (upgrades, support)
)

// Code layout: 12 Crockford base32 characters = 60 bits: the expiry in
// minutes since the Unix epoch modulo 2^20 (about 728 days), then the first
// 40 bits of HMAC-SHA256(secret, context). The full expiry is inside the MAC,
// so the truncated field only has to be unambiguous near now.
const (
	codeChars   = 12
	expiryBits  = 20
	macBits     = 40
	expiryRange = 1 << expiryBits // minutes

	// MaxTTL bounds how far ahead a code may expire; longer-lived codes are
	// refused by NewCode and Verify.
	MaxTTL = 30 * 24 * time.Hour
	// SecretSize is the length of secrets made by NewSecret.
	SecretSize = 32
	// minSecret is the shortest secret accepted.
	minSecret = 16
)

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ" // Crockford base32

// Errors returned by Verify. A wrong agent, wrong action and wrong secret are
// all ErrInvalid on purpose: the caller learns nothing about which it was.
var (
	ErrMalformed = errors.New("unlock code is malformed")
	ErrInvalid   = errors.New("unlock code is not valid")
	ErrExpired   = errors.New("unlock code has expired")
	ErrSecret    = errors.New("tamper secret is too short")
)

// NewSecret returns a fresh random per-agent secret. The server makes one at
// enrolment, keeps it, and sends it to the agent once.
func NewSecret() ([]byte, error) {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("tamper secret: %w", err)
	}
	return b, nil
}

// NewCode issues a code for one action on one agent, valid from now for ttl
// (rounded up to the next whole minute, at most MaxTTL). now is passed in so
// that the server's clock is the only one that matters and tests are exact.
func NewCode(secret []byte, agentID string, action Action, ttl time.Duration, now time.Time) (string, error) {
	if len(secret) < minSecret {
		return "", ErrSecret
	}
	if ttl <= 0 || ttl > MaxTTL {
		return "", fmt.Errorf("unlock code ttl %s: must be in (0, %s]", ttl, MaxTTL)
	}
	if agentID == "" || action == "" {
		return "", errors.New("unlock code: agent id and action are required")
	}
	exp := now.Add(ttl).Unix()
	expMin := (exp + 59) / 60 // round up: a code never expires early
	return encode(uint64(expMin)%expiryRange, mac(secret, agentID, action, expMin)), nil
}

// Verify checks a code for one action on one agent at time now. Dashes,
// spaces and case are ignored and the Crockford look-alikes O, I and L are
// accepted, so a code read over the phone works.
func Verify(secret []byte, agentID string, action Action, code string, now time.Time) error {
	if len(secret) < minSecret {
		return ErrSecret
	}
	field, tag, err := decode(code)
	if err != nil {
		return err
	}
	// The expiry is the minute t ≡ field (mod 2^20) nearest to now.
	nowMin := now.Unix() / 60
	base := nowMin - nowMin%expiryRange
	expMin := base + int64(field)
	if d := expMin - nowMin; d > expiryRange/2 {
		expMin -= expiryRange
	} else if d < -expiryRange/2 {
		expMin += expiryRange
	}
	want := mac(secret, agentID, action, expMin)
	if !hmac.Equal(want[:], tag[:]) {
		return ErrInvalid
	}
	if now.Unix() >= expMin*60 {
		return ErrExpired
	}
	if time.Duration(expMin*60-now.Unix())*time.Second > MaxTTL+time.Minute {
		return ErrInvalid // genuine but absurdly far ahead: a clock far behind
	}
	return nil
}

// Format groups a code as XXXX-XXXX-XXXX for display.
func Format(code string) string {
	c := normalize(code)
	if len(c) != codeChars {
		return code
	}
	return c[:4] + "-" + c[4:8] + "-" + c[8:]
}

func mac(secret []byte, agentID string, action Action, expMin int64) [macBits / 8]byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("medshield-tamper-v1\x00"))
	var n [8]byte
	// Length-prefixed fields: "ab"+"c" and "a"+"bc" must differ.
	binary.BigEndian.PutUint64(n[:], uint64(len(agentID)))
	h.Write(n[:])
	h.Write([]byte(agentID))
	binary.BigEndian.PutUint64(n[:], uint64(len(action)))
	h.Write(n[:])
	h.Write([]byte(action))
	binary.BigEndian.PutUint64(n[:], uint64(expMin))
	h.Write(n[:])
	var out [macBits / 8]byte
	copy(out[:], h.Sum(nil))
	return out
}

func encode(field uint64, tag [macBits / 8]byte) string {
	var t uint64
	for _, b := range tag {
		t = t<<8 | uint64(b)
	}
	v := field<<macBits | t
	var out [codeChars]byte
	for i := codeChars - 1; i >= 0; i-- {
		out[i] = alphabet[v&31]
		v >>= 5
	}
	return string(out[:])
}

func decode(code string) (field uint64, tag [macBits / 8]byte, err error) {
	c := normalize(code)
	if len(c) != codeChars {
		return 0, tag, ErrMalformed
	}
	var v uint64
	for i := 0; i < len(c); i++ {
		d := strings.IndexByte(alphabet, c[i])
		if d < 0 {
			return 0, tag, ErrMalformed
		}
		v = v<<5 | uint64(d)
	}
	field = v >> macBits
	for i := len(tag) - 1; i >= 0; i-- {
		tag[i] = byte(v)
		v >>= 8
	}
	return field, tag, nil
}

// normalize upper-cases, drops separators and maps Crockford look-alikes.
func normalize(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch r {
		case '-', ' ', '\t':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 0x7f {
			return "" // malformed; avoids huge inputs growing the builder
		}
		b.WriteRune(r)
		if b.Len() > codeChars {
			return ""
		}
	}
	return b.String()
}
