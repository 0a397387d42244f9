package iocmatch_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/ioc"
	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/detect/iocmatch"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

func dnsQuery(name string) []byte {
	b := []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return binary.BigEndian.AppendUint32(append(b, 0), 0x00010001)
}

func TestIndicatorMatches(t *testing.T) {
	set := ioc.NewSet()
	feed := "evil.example\n203.0.113.7\n198.51.100.9:8443\nhttp://bad.example/gate.php\n"
	if _, err := set.Load(strings.NewReader(feed), "test.txt"); err != nil {
		t.Fatal(err)
	}
	http := func(host, uri string) []capture.Packet {
		return pcaptest.NewConv(pcaptest.Base, "10.0.0.2", 40000, "192.0.2.80", 80).
			Send(true, []byte("GET "+uri+" HTTP/1.1\r\nHost: "+host+"\r\n\r\n")).Close()
	}
	tests := []struct {
		name string
		pkts []capture.Packet
		want string
	}{
		{"dns subdomain", []capture.Packet{pcaptest.UDP(pcaptest.Base, "10.0.0.2", 5000, "10.0.0.53", 53, dnsQuery("a.b.evil.example"))},
			"ioc.domain 10.0.0.2->10.0.0.53"},
		{"clean dns", []capture.Packet{pcaptest.UDP(pcaptest.Base, "10.0.0.2", 5000, "10.0.0.53", 53, dnsQuery("notevil.example"))}, ""},
		{"ip", pcaptest.NewConv(pcaptest.Base, "10.0.0.2", 40000, "203.0.113.7", 25).Close(), "ioc.ip 10.0.0.2->203.0.113.7"},
		{"ip:port matches only that port", pcaptest.NewConv(pcaptest.Base, "10.0.0.2", 40000, "198.51.100.9", 443).Close(), ""},
		{"ip:port", pcaptest.NewConv(pcaptest.Base, "10.0.0.2", 40000, "198.51.100.9", 8443).Close(), "ioc.ip-port 10.0.0.2->198.51.100.9"},
		{"http host and url", http("bad.example", "/gate.php?id=1"), "ioc.url 10.0.0.2->192.0.2.80"},
		{"http host domain", http("www.evil.example:8080", "/"), "ioc.domain 10.0.0.2->192.0.2.80"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(detecttest.Rules(detecttest.Run(t, nil, set, iocmatch.New(), tc.pkts)), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
