package beacon_test

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect/beacon"
	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

// series opens n connections from src to dst, gap(i) apart.
func series(src, dst string, n int, gap func(i int) time.Duration) []capture.Packet {
	var out []capture.Packet
	t := pcaptest.Base
	for i := 0; i < n; i++ {
		out = append(out, pcaptest.NewConv(t, src, uint16(40000+i), dst, 443).Send(true, []byte("ping")).Close()...)
		t = t.Add(gap(i))
	}
	return out
}

func TestBeaconing(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	tests := []struct {
		name string
		pkts []capture.Packet
		want string
	}{
		{"60 s with 5 s jitter", series("10.0.0.4", "198.51.100.7", 20, func(int) time.Duration {
			return 60*time.Second + time.Duration(rng.Intn(10000)-5000)*time.Millisecond
		}), "c2.beacon 10.0.0.4->198.51.100.7"},
		{"300 s with 20 % jitter", series("10.0.0.4", "198.51.100.7", 12, func(int) time.Duration {
			return time.Duration(240+rng.Intn(120)) * time.Second
		}), "c2.beacon 10.0.0.4->198.51.100.7"},
		{"irregular browsing", series("10.0.0.4", "198.51.100.7", 20, func(int) time.Duration {
			return time.Duration(1+rng.ExpFloat64()*200) * time.Second
		}), ""},
		{"too few connections", series("10.0.0.4", "198.51.100.7", 6, func(int) time.Duration { return time.Minute }), ""},
		{"internal polling is not a beacon", series("10.0.0.4", "10.0.9.9", 20, func(int) time.Duration { return time.Minute }), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(detecttest.Rules(detecttest.Run(t, nil, nil, beacon.New(), tc.pkts)), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestScoreIgnoresAFewOutliers(t *testing.T) {
	var s []int64
	now := int64(0)
	for i := 0; i < 30; i++ {
		gap := int64(60e9)
		if i%10 == 3 { // an extra, irregular connection now and then
			gap = 7e9
		}
		now += gap
		s = append(s, now)
	}
	median, jitter, ok := beacon.Score(s)
	if !ok || median != 60e9 || jitter > 0.01 {
		t.Errorf("median %v jitter %v", median, jitter)
	}
}
