package exfil_test

import (
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/detect/exfil"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

// upload sends n full-size segments, captured with a 96-byte snaplen, so
// only the original-length field says how much left.
func upload(src, dst string, port uint16, n int) []capture.Packet {
	c := pcaptest.NewConv(pcaptest.Base, src, 40000, dst, port)
	for i := 0; i < n; i++ {
		c.Send(true, make([]byte, 1448))
	}
	pk := c.Close()
	for i := range pk {
		if len(pk[i].Data) > 96 {
			pk[i].Data = pk[i].Data[:96]
		}
	}
	return pk
}

func TestLargeOutbound(t *testing.T) {
	cfg := analysis.Defaults()
	cfg.Exfil.Bytes = 1 << 20
	tests := []struct {
		name string
		pkts []capture.Packet
		want string
	}{
		{"1.5 MB out, truncated capture", upload("10.0.0.5", "203.0.113.200", 443, 1000), "exfil.large-outbound 10.0.0.5->203.0.113.200"},
		{"below the threshold", upload("10.0.0.5", "203.0.113.200", 443, 500), ""},
		{"internal backup", upload("10.0.0.5", "10.1.0.9", 443, 1000), ""},
		{"metasploit port", upload("10.0.0.5", "10.1.0.9", 4444, 100), "c2.suspicious-port 10.0.0.5->10.1.0.9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(detecttest.Rules(detecttest.Run(t, cfg, nil, exfil.New(), tc.pkts)), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
