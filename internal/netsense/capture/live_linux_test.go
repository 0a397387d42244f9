//go:build linux

package capture

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// TestLiveLoopbackSeesOurDatagram opens an AF_PACKET socket on "lo" and
// checks that a UDP datagram we send shows up with its wire length. It
// needs CAP_NET_RAW and skips without it.
func TestLiveLoopbackSeesOurDatagram(t *testing.T) {
	src, err := OpenLive("lo", 0)
	if errors.Is(err, os.ErrPermission) || err != nil && (bytes.Contains([]byte(err.Error()), []byte("operation not permitted")) ||
		bytes.Contains([]byte(err.Error()), []byte("permission denied"))) {
		t.Skipf("no CAP_NET_RAW: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	c, err := net.Dial("udp", "127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	marker := []byte("medshield-live-capture-test")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.Write(marker)
		p, err := src.Next()
		if errors.Is(err, ErrTimeout) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(p.Data, marker) {
			if p.LinkType != LinkEthernet || p.WireLen != len(p.Data) || p.TimeNanos == 0 {
				t.Errorf("packet %+v", p)
			}
			return
		}
	}
	t.Fatal("datagram not captured within 5 s")
}
