package dnstunnel_test

import (
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/detect/dnstunnel"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

func msg(id uint16, resp bool, rcode byte, name string, qtype uint16) []byte {
	b := []byte{byte(id >> 8), byte(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	if resp {
		b[2], b[3] = 0x81, 0x80|rcode
	}
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, qtype)
	return binary.BigEndian.AppendUint16(b, 1)
}

// exchange makes query/response pairs from client to the resolver.
func exchange(client string, names []string, qtype uint16, rcode byte) []capture.Packet {
	var out []capture.Packet
	t := pcaptest.Base
	for i, n := range names {
		t = t.Add(time.Second)
		port := uint16(30000 + i)
		out = append(out, pcaptest.UDP(t, client, port, "10.0.0.53", 53, msg(uint16(i), false, 0, n, qtype)),
			pcaptest.UDP(t.Add(time.Millisecond), "10.0.0.53", 53, client, port, msg(uint16(i), true, rcode, n, qtype)))
	}
	return out
}

func TestDNSTunnelAndDGA(t *testing.T) {
	var encoded, normal, dga, ptr, txt []string
	for i := 0; i < 25; i++ {
		chunk := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(fmt.Sprintf("secret-payload-%03d-%x", i, i*7919)))
		encoded = append(encoded, strings.ToLower(chunk)+".t.exfil.example")
		normal = append(normal, fmt.Sprintf("www%d.hospital.example", i))
		dga = append(dga, fmt.Sprintf("q%xkzv%xwpl.com", i*7, i*13))
		ptr = append(ptr, fmt.Sprintf("%d.2.0.192.in-addr.arpa", i))
		txt = append(txt, "cmd.c2.example")
	}
	tests := []struct {
		name string
		pkts []capture.Packet
		want string
	}{
		{"base32 chunks", exchange("10.0.0.8", encoded[:3], 1, 0), "dns.tunnel 10.0.0.8->10.0.0.53"},
		{"normal names", exchange("10.0.0.8", normal, 1, 0), ""},
		{"nxdomain burst", exchange("10.0.0.8", dga[:20], 1, 3), "dns.dga 10.0.0.8->10.0.0.53"},
		{"nxdomain for reverse look-ups", exchange("10.0.0.8", ptr, 12, 3), ""},
		{"txt polling", exchange("10.0.0.8", txt[:20], 16, 0), "dns.tunnel 10.0.0.8->10.0.0.53"},
		{"a few txt look-ups", exchange("10.0.0.8", txt[:5], 16, 0), ""},
		{"raw bytes in labels", exchange("10.0.0.8", []string{"a\x01\xfe\x80.pirate.sea"}, 10, 0), "dns.tunnel 10.0.0.8->10.0.0.53"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(detecttest.Rules(detecttest.Run(t, nil, nil, dnstunnel.New(), tc.pkts)), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestZone(t *testing.T) {
	for in, want := range map[string]string{"a.b.example.com": "example.com", "x.hospital.com.cn": "hospital.com.cn", "com": "com", "t1.biillpi.com": "biillpi.com"} {
		if got := dnstunnel.Zone(in); got != want {
			t.Errorf("Zone(%q) = %q, want %q", in, got, want)
		}
	}
}
