package ms17010_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/detect/ms17010"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

func smb1(cmd byte, reply bool, status uint32, mid uint16, words []byte) []byte {
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = cmd
	binary.LittleEndian.PutUint32(h[5:], status)
	if reply {
		h[9] = 0x80
	}
	binary.LittleEndian.PutUint16(h[30:], mid)
	h = append(h, byte(len(words)/2))
	h = append(h, words...)
	h = append(h, 0, 0)
	return append([]byte{0, 0, byte(len(h) >> 8), byte(len(h))}, h...)
}

func trans2(sub uint16) []byte {
	w := make([]byte, 30)
	w[26] = 1
	binary.LittleEndian.PutUint16(w[28:], sub)
	return w
}

// session builds one SMB session: client messages then server replies.
func session(start time.Time, client []([]byte), server [][]byte) []capture.Packet {
	c := pcaptest.NewConv(start, "10.0.0.66", 49152, "10.0.0.5", 445)
	for _, m := range client {
		c.Send(true, m)
	}
	for _, m := range server {
		c.Send(false, m)
	}
	return c.Close()
}

func TestMS17010(t *testing.T) {
	sec := make([]byte, 18)
	tests := []struct {
		name           string
		client, server [][]byte
		want           string
	}{
		{"eternalblue trans2 secondary burst", [][]byte{smb1(0x33, false, 0, 1, sec), smb1(0x33, false, 0, 2, sec), smb1(0x33, false, 0, 3, sec)}, nil,
			"ms17-010.eternalblue 10.0.0.66->10.0.0.5"},
		{"two secondaries are not enough", [][]byte{smb1(0x33, false, 0, 1, sec), smb1(0x33, false, 0, 2, sec)}, nil, ""},
		{"doublepulsar ping answered with MID+16", [][]byte{smb1(0x32, false, 0, 65, trans2(0x0e))}, [][]byte{smb1(0x32, true, 0xc0000002, 81, nil)},
			"ms17-010.doublepulsar-check 10.0.0.66->10.0.0.5;ms17-010.doublepulsar-implant 10.0.0.66->10.0.0.5"},
		{"clean host answers with the same MID", [][]byte{smb1(0x32, false, 0, 65, trans2(0x0e))}, [][]byte{smb1(0x32, true, 0xc0000002, 65, nil)},
			"ms17-010.doublepulsar-check 10.0.0.66->10.0.0.5"},
		{"other trans2 subcommands are normal", [][]byte{smb1(0x32, false, 0, 65, trans2(0x05))}, [][]byte{smb1(0x32, true, 0, 81, nil)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(detecttest.Rules(detecttest.Run(t, nil, nil, ms17010.New(), session(pcaptest.Base, tc.client, tc.server))), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEternalRomanceSprayNeedsABurst(t *testing.T) {
	tr := make([]byte, 32)
	var burst, slow [][]byte
	for i := 0; i < 20; i++ {
		burst = append(burst, smb1(0x25, false, 0, uint16(i), tr))
	}
	got := detecttest.Rules(detecttest.Run(t, nil, nil, ms17010.New(), session(pcaptest.Base, burst, nil)))
	if strings.Join(got, ";") != "ms17-010.eternalromance 10.0.0.66->10.0.0.5" {
		t.Errorf("burst: %q", got)
	}
	var pk []capture.Packet
	for i := 0; i < 20; i++ { // one transaction per session, a second apart
		slow = [][]byte{smb1(0x25, false, 0, 1, tr)}
		pk = append(pk, session(pcaptest.Base.Add(time.Duration(i)*time.Second), slow, nil)...)
	}
	if got := detecttest.Run(t, nil, nil, ms17010.New(), pk); len(got) != 0 {
		t.Errorf("slow transactions: %q", detecttest.Rules(got))
	}
}
