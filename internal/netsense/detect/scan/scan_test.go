package scan_test

import (
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/detect/scan"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

func syns(src, dst string, ports []uint16, hosts int, gap time.Duration) []capture.Packet {
	var out []capture.Packet
	t := pcaptest.Base
	for h := 0; h < max(hosts, 1); h++ {
		d := dst
		if hosts > 0 {
			d = dst + itoa(h+1)
		}
		for _, p := range ports {
			t = t.Add(gap)
			out = append(out, pcaptest.TCP(t, src, 40000, d, p, 0x02, 1, 0, nil))
		}
	}
	return out
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func portRange(n int) []uint16 {
	var p []uint16
	for i := 0; i < n; i++ {
		p = append(p, uint16(1000+i))
	}
	return p
}

func TestScans(t *testing.T) {
	tests := []struct {
		name string
		pkts []capture.Packet
		want string
	}{
		{"vertical at threshold", syns("10.0.0.9", "10.0.1.1", portRange(100), 0, 10*time.Millisecond), "scan.vertical 10.0.0.9->10.0.1.1"},
		{"below threshold", syns("10.0.0.9", "10.0.1.1", portRange(99), 0, 10*time.Millisecond), ""},
		{"too slow for the window", syns("10.0.0.9", "10.0.1.1", portRange(150), 0, time.Second), ""},
		{"smb fan-out", syns("10.0.0.9", "10.0.2.", []uint16{445}, 10, 100*time.Millisecond), "lateral.fanout 10.0.0.9->10.0.2.10"},
		{"web fan-out is horizontal scan only at 50", syns("10.0.0.9", "10.0.3.", []uint16{80}, 49, 10*time.Millisecond), ""},
		{"xmas", []capture.Packet{pcaptest.TCP(pcaptest.Base, "10.0.0.9", 1, "10.0.1.1", 80, 0x29, 1, 0, nil)}, "scan.stealth 10.0.0.9->10.0.1.1"},
		{"null", []capture.Packet{pcaptest.TCP(pcaptest.Base, "10.0.0.9", 1, "10.0.1.1", 80, 0, 1, 0, nil)}, "scan.stealth 10.0.0.9->10.0.1.1"},
		{"fin-ack is a normal close", []capture.Packet{pcaptest.TCP(pcaptest.Base, "10.0.0.9", 40001, "10.0.1.1", 80, 0x11, 1, 0, nil)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(detecttest.Rules(detecttest.Run(t, nil, nil, scan.New(), tc.pkts)), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
