package lateral_test

import (
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/detect/lateral"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

func rdpSession(start time.Time, port uint16) []capture.Packet {
	x224 := "\x0e\xe0\x00\x00\x00\x00\x00Cookie: mstshash=admin\r\n\x01\x00\x08\x00\x03\x00\x00\x00"
	c := pcaptest.NewConv(start, "10.0.0.3", port, "10.0.0.40", 3389).Send(true, append([]byte{3, 0, 0, byte(4 + len(x224))}, x224...))
	for i := 0; i < 5; i++ {
		c.Send(false, make([]byte, 1200))
	}
	return c.Close()
}

func TestLateralMovement(t *testing.T) {
	winrm := pcaptest.NewConv(pcaptest.Base, "10.0.0.3", 50000, "10.0.0.40", 5985).
		Send(true, []byte("POST /wsman?PSVersion=5.1 HTTP/1.1\r\nUser-Agent: Microsoft WinRM Client\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 0\r\n\r\n")).Close()
	web := pcaptest.NewConv(pcaptest.Base, "10.0.0.3", 50000, "10.0.0.40", 80).
		Send(true, []byte("POST /api HTTP/1.1\r\nContent-Length: 0\r\n\r\n")).Close()
	tests := []struct {
		name string
		pkts [][]capture.Packet
		want string
	}{
		{"winrm", [][]capture.Packet{winrm}, "lateral.winrm 10.0.0.3->10.0.0.40"},
		{"ordinary post", [][]capture.Packet{web}, ""},
		{"one rdp session", [][]capture.Packet{rdpSession(pcaptest.Base, 50001)}, ""},
		{"two rdp sessions in a minute", [][]capture.Packet{rdpSession(pcaptest.Base, 50001), rdpSession(pcaptest.Base.Add(time.Minute), 50002)},
			"lateral.rdp-sessions 10.0.0.3->10.0.0.40"},
		{"two rdp sessions a day apart", [][]capture.Packet{rdpSession(pcaptest.Base, 50001), rdpSession(pcaptest.Base.Add(24*time.Hour), 50002)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(detecttest.Rules(detecttest.Run(t, nil, nil, lateral.New(), tc.pkts...)), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
