package mining_test

import (
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/detect/mining"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

func conv(port uint16, client, server string) []capture.Packet {
	c := pcaptest.NewConv(pcaptest.Base, "10.0.0.7", 40000, "203.0.113.9", port)
	if client != "" {
		c.Send(true, []byte(client))
	}
	if server != "" {
		c.Send(false, []byte(server))
	}
	return c.Close()
}

func TestMining(t *testing.T) {
	tests := []struct {
		name string
		pkts []capture.Packet
		want string
	}{
		{"xmrig login on 443", conv(443, `{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"48edf","pass":"x","agent":"XMRig/6.21.0"}}`+"\n", ""),
			"mining.xmrig-login 10.0.0.7->203.0.113.9"},
		{"stratum subscribe", conv(3333, `{"id":1,"method":"mining.subscribe","params":["cgminer/4.10.0"]}`+"\n", ""),
			"mining.stratum-login 10.0.0.7->203.0.113.9"},
		{"getwork over http", conv(8545, "POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 59\r\n\r\n"+
			`{"jsonrpc":"2.0","method":"eth_getWork","params":[],"id":1}`, ""), "mining.getwork 10.0.0.7->203.0.113.9"},
		{"ordinary json-rpc", conv(8080, `{"jsonrpc":"2.0","method":"getUser","params":{"id":1}}`+"\n", ""), ""},
		{"monero p2p is policy", conv(18080, "\x01\x21\x01\x01\x01\x01\x01\x01levin", ""), "policy.crypto-p2p 10.0.0.7->203.0.113.9"},
		{"pool sni", conv(443, string(tlsHelloSNI("xmr.pool.minexmr.com")), ""), "mining.pool-domain 10.0.0.7->203.0.113.9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(detecttest.Rules(detecttest.Run(t, nil, nil, mining.New(), tc.pkts)), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// tlsHelloSNI builds a minimal TLS 1.2 ClientHello with one SNI.
func tlsHelloSNI(name string) []byte {
	sni := []byte{0, 0}
	list := append([]byte{0, byte(len(name) + 3), 0, 0, byte(len(name))}, name...)
	sni = append(sni, 0, byte(len(list)))
	sni = append(sni, list...)
	body := append([]byte{3, 3}, make([]byte, 32)...)
	body = append(body, 0, 0, 2, 0x13, 0x01, 1, 0)
	body = append(body, 0, byte(len(sni)))
	body = append(body, sni...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}
