package lateral_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/detect/lateral"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

// uuidLE encodes a textual UUID in DCE-RPC (little-endian first fields) form.
func uuidLE(s string) []byte {
	p := strings.Split(s, "-")
	hex := func(h string) []byte {
		b := make([]byte, len(h)/2)
		for i := range b {
			var v byte
			for _, c := range h[2*i : 2*i+2] {
				v <<= 4
				switch {
				case c >= '0' && c <= '9':
					v |= byte(c - '0')
				default:
					v |= byte(c-'a') + 10
				}
			}
			b[i] = v
		}
		return b
	}
	a, b, c := hex(p[0]), hex(p[1]), hex(p[2])
	out := []byte{a[3], a[2], a[1], a[0], b[1], b[0], c[1], c[0]}
	return append(append(out, hex(p[3])...), hex(p[4])...)
}

func bind(uuid string) []byte {
	p := make([]byte, 28)
	p[0], p[2] = 5, 11
	p[24] = 1
	item := make([]byte, 44)
	item[2] = 1
	copy(item[4:], uuidLE(uuid))
	p = append(p, item...)
	binary.LittleEndian.PutUint16(p[8:], uint16(len(p)))
	return p
}

func request(opnum uint16, stub []byte) []byte {
	p := make([]byte, 24)
	p[0], p[2] = 5, 0
	binary.LittleEndian.PutUint16(p[22:], opnum)
	p = append(p, stub...)
	binary.LittleEndian.PutUint16(p[8:], uint16(len(p)))
	return p
}

func u16(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

func smb2Create(mid uint64, share bool, name string) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	cmd, body := uint16(5), make([]byte, 56)
	n := u16(name)
	if share {
		cmd, body = 3, make([]byte, 8)
		binary.LittleEndian.PutUint16(body[4:], 72)
		binary.LittleEndian.PutUint16(body[6:], uint16(len(n)))
	} else {
		binary.LittleEndian.PutUint16(body[44:], 120)
		binary.LittleEndian.PutUint16(body[46:], uint16(len(n)))
	}
	binary.LittleEndian.PutUint16(h[12:], cmd)
	binary.LittleEndian.PutUint64(h[24:], mid)
	binary.LittleEndian.PutUint32(h[36:], 9)
	m := append(append(h, body...), n...)
	return append([]byte{0, 0, byte(len(m) >> 8), byte(len(m))}, m...)
}

func smb2TreeReply(mid uint64) []byte {
	h := make([]byte, 80)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	binary.LittleEndian.PutUint16(h[12:], 3)
	binary.LittleEndian.PutUint32(h[16:], 1)
	binary.LittleEndian.PutUint64(h[24:], mid)
	binary.LittleEndian.PutUint32(h[36:], 9)
	return append([]byte{0, 0, 0, byte(len(h))}, h...)
}

func TestDCERPCAndAdminShares(t *testing.T) {
	wmi := pcaptest.NewConv(pcaptest.Base, "10.0.0.3", 50100, "10.0.0.40", 49700).
		Send(true, bind("f309ad18-d86a-11d0-a075-00c04fb68820")).Send(true, request(3, make([]byte, 32))).Close()
	task := pcaptest.NewConv(pcaptest.Base, "10.0.0.3", 50101, "10.0.0.40", 49701).
		Send(true, bind("86d35949-83c9-4044-b424-db363231fd0c")).Send(true, request(1, make([]byte, 64))).Close()
	epm := pcaptest.NewConv(pcaptest.Base, "10.0.0.3", 50102, "10.0.0.40", 135).
		Send(true, bind("e1af8308-5d1f-11c9-91a4-08002b14a0fa")).Send(true, request(3, make([]byte, 64))).Close()
	admin := pcaptest.NewConv(pcaptest.Base, "10.0.0.3", 50103, "10.0.0.40", 445).
		Send(true, smb2Create(1, true, `\\10.0.0.40\ADMIN$`)).Send(false, smb2TreeReply(1)).
		Send(true, smb2Create(2, false, `update.exe`)).Close()
	doc := pcaptest.NewConv(pcaptest.Base, "10.0.0.3", 50104, "10.0.0.40", 445).
		Send(true, smb2Create(1, true, `\\10.0.0.40\Shared`)).Send(false, smb2TreeReply(1)).
		Send(true, smb2Create(2, false, `setup.exe`)).Close()
	tests := []struct {
		name string
		pkts []capture.Packet
		want string
	}{
		{"wmi over dcom", wmi, "lateral.wmi 10.0.0.3->10.0.0.40"},
		{"task scheduler", task, "lateral.remote-task 10.0.0.3->10.0.0.40"},
		{"endpoint mapper alone", epm, ""},
		{"exe to ADMIN$", admin, "lateral.admin-share-executable 10.0.0.3->10.0.0.40"},
		{"exe to an ordinary share", doc, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(detecttest.Rules(detecttest.Run(t, nil, nil, lateral.New(), tc.pkts)), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
