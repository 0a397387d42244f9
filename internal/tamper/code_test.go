package tamper

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	t0         = time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)
)

func TestCodeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ttl    time.Duration
		at     time.Duration // verification time after issue
		agent  string
		action Action
		secret []byte
		want   error
	}{
		{"valid immediately", 15 * time.Minute, 0, "agent-1", ActionStop, testSecret, nil},
		{"valid near expiry", 15 * time.Minute, 14*time.Minute + 59*time.Second, "agent-1", ActionStop, testSecret, nil},
		{"expired", 15 * time.Minute, 16 * time.Minute, "agent-1", ActionStop, testSecret, ErrExpired},
		{"long ttl", MaxTTL, MaxTTL - time.Minute, "agent-1", ActionUninstall, testSecret, nil},
		{"other agent", time.Hour, 0, "agent-2", ActionStop, testSecret, ErrInvalid},
		{"other action", time.Hour, 0, "agent-1", ActionUninstall, testSecret, ErrInvalid},
		{"other secret", time.Hour, 0, "agent-1", ActionStop, []byte("another secret of 32 bytes......"), ErrInvalid},
		{"clock far behind", time.Hour, -400 * 24 * time.Hour, "agent-1", ActionStop, testSecret, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := NewCode(testSecret, "agent-1", ActionStop, tc.ttl, t0)
			if tc.action == ActionUninstall && tc.agent == "agent-1" && tc.want == nil {
				code, err = NewCode(testSecret, "agent-1", ActionUninstall, tc.ttl, t0)
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(code) != codeChars {
				t.Fatalf("code %q has %d chars, want %d", code, len(code), codeChars)
			}
			got := Verify(tc.secret, tc.agent, tc.action, code, t0.Add(tc.at))
			if !errors.Is(got, tc.want) {
				t.Fatalf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCodeExpiryAcrossFieldWrap(t *testing.T) {
	// Issue codes at times spread over several wraps of the 20-bit minute
	// field; each must verify just before expiry and fail just after.
	for i := 0; i < 50; i++ {
		now := t0.Add(time.Duration(i) * 97 * 24 * time.Hour).Add(time.Duration(i*13) * time.Minute)
		code, err := NewCode(testSecret, "a", ActionStop, 2*time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(testSecret, "a", ActionStop, code, now.Add(2*time.Hour-time.Second)); err != nil {
			t.Fatalf("at %s: %v", now, err)
		}
		if err := Verify(testSecret, "a", ActionStop, code, now.Add(2*time.Hour+time.Minute)); !errors.Is(err, ErrExpired) {
			t.Fatalf("at %s after expiry: %v, want ErrExpired", now, err)
		}
	}
}

func TestCodeFormatting(t *testing.T) {
	code, err := NewCode(testSecret, "agent-1", ActionStop, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	f := Format(code)
	if len(f) != 14 || f[4] != '-' || f[9] != '-' {
		t.Fatalf("Format(%q) = %q", code, f)
	}
	lookalike := strings.NewReplacer("0", "o", "1", "l").Replace(strings.ToLower(f))
	for _, in := range []string{code, f, strings.ToLower(code), " " + f + " ", lookalike} {
		if err := Verify(testSecret, "agent-1", ActionStop, in, t0); err != nil {
			t.Errorf("Verify(%q) = %v", in, err)
		}
	}
}

func TestCodeRejectsTampering(t *testing.T) {
	code, err := NewCode(testSecret, "agent-1", ActionStop, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	// Every single-character change must be refused.
	for i := 0; i < len(code); i++ {
		for _, c := range alphabet {
			if byte(c) == code[i] {
				continue
			}
			bad := code[:i] + string(c) + code[i+1:]
			if err := Verify(testSecret, "agent-1", ActionStop, bad, t0); err == nil {
				t.Fatalf("altered code %q accepted", bad)
			}
		}
	}
	for _, in := range []string{"", "ABC", "ABCDEFGHJKMNP", "ABCDEFGHJKM!", "ÀBCDEFGHJKMN", strings.Repeat("A", 1000)} {
		if err := Verify(testSecret, "agent-1", ActionStop, in, t0); !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, want ErrMalformed", in, err)
		}
	}
}

func TestNewCodeArguments(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret []byte
		agent  string
		action Action
		ttl    time.Duration
	}{
		{"short secret", []byte("short"), "a", ActionStop, time.Hour},
		{"zero ttl", testSecret, "a", ActionStop, 0},
		{"ttl over max", testSecret, "a", ActionStop, MaxTTL + time.Minute},
		{"no agent", testSecret, "", ActionStop, time.Hour},
		{"no action", testSecret, "a", "", time.Hour},
	} {
		if _, err := NewCode(tc.secret, tc.agent, tc.action, tc.ttl, t0); err == nil {
			t.Errorf("%s: NewCode succeeded", tc.name)
		}
	}
	s1, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := NewSecret()
	if len(s1) != SecretSize || string(s1) == string(s2) {
		t.Fatalf("NewSecret: len %d, distinct %v", len(s1), string(s1) != string(s2))
	}
}

func TestVerifierRefusesReplayAndLocksOut(t *testing.T) {
	v, err := NewVerifier(testSecret, "agent-1")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := NewCode(testSecret, "agent-1", ActionStop, time.Hour, t0)
	if err := v.Check(ActionStop, code, t0); err != nil {
		t.Fatal(err)
	}
	if err := v.Check(ActionStop, Format(code), t0.Add(time.Second)); !errors.Is(err, ErrReused) {
		t.Fatalf("replay: %v, want ErrReused", err)
	}
	good, _ := NewCode(testSecret, "agent-1", ActionUninstall, time.Hour, t0)
	now := t0
	for i := 0; i < freeFailures; i++ {
		if err := v.Check(ActionUninstall, "AAAAAAAAAAAA", now); !errors.Is(err, ErrInvalid) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if err := v.Check(ActionUninstall, good, now.Add(30*time.Second)); !errors.Is(err, ErrLocked) {
		t.Fatalf("during lock-out: %v, want ErrLocked", err)
	}
	if err := v.Check(ActionUninstall, good, now.Add(61*time.Second)); err != nil {
		t.Fatalf("after lock-out: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	code, _ := NewCode(testSecret, "agent-1", ActionStop, time.Hour, t0)
	for _, s := range []string{code, Format(code), "", "0000-0000-0000", "zzzz", "ÿÿÿ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Verify(testSecret, "agent-1", ActionStop, s, t0)
		if err == nil && normalize(s) != code {
			t.Fatalf("%q accepted but differs from the issued code", s)
		}
	})
}
