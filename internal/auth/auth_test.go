package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("Correct-Horse-9")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") || strings.Contains(h, "Correct-Horse-9") {
		t.Fatalf("hash %q", h)
	}
	if err := CheckPassword(h, "Correct-Horse-9"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if err := CheckPassword(h, "Correct-Horse-8"); err != ErrMismatch {
		t.Fatalf("wrong password: %v", err)
	}
	h2, _ := HashPassword("Correct-Horse-9")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$x$y$z$w", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA"} {
		if CheckPassword(bad, "x") == nil {
			t.Fatalf("malformed hash %q accepted", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short1A!": false, "alllowercaseletters": false, "lowercase1234567": false,
		"Lowercase1234567": true, "与医院有关的密码Ab12": true,
	} {
		if err := CheckPasswordPolicy(pw); (err == nil) != ok {
			t.Errorf("%q: %v", pw, err)
		}
	}
	for i := 0; i < 50; i++ {
		pw, err := RandomPassword()
		if err != nil || CheckPasswordPolicy(pw) != nil {
			t.Fatalf("random password %q fails the policy: %v", pw, err)
		}
	}
}

func TestLimiterBurstRefillAndBound(t *testing.T) {
	l := NewLimiter(3, time.Second)
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if !l.Allow("k", now) {
			t.Fatalf("attempt %d refused within burst", i)
		}
	}
	if l.Allow("k", now) {
		t.Fatal("attempt beyond burst allowed")
	}
	if !l.Allow("other", now) {
		t.Fatal("keys are not independent")
	}
	if !l.Allow("k", now.Add(1100*time.Millisecond)) {
		t.Fatal("no refill after one interval")
	}
	l.MaxKeys = 10
	for i := 0; i < 100; i++ {
		l.Allow(strings.Repeat("x", i+1), now)
	}
	if len(l.buckets) > 10 {
		t.Fatalf("limiter holds %d keys, bound is 10", len(l.buckets))
	}
}

func TestSecretsAreHashedDistinct(t *testing.T) {
	a, _ := Secret("mset_")
	b, _ := Secret("mset_")
	if a == b || !strings.HasPrefix(a, "mset_") || len(a) < 40 {
		t.Fatalf("secrets %q %q", a, b)
	}
	if HashSecret(a) == HashSecret(b) || len(HashSecret(a)) != 64 {
		t.Fatal("secret hashes")
	}
}
