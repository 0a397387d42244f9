package proto

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

func nbss(msg []byte) []byte {
	return append([]byte{0, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// smb1 builds an SMB1 message with the given command, flags, MID, words and bytes.
func smb1(cmd byte, reply bool, status uint32, mid uint16, words []byte, data []byte) []byte {
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
	h = binary.LittleEndian.AppendUint16(h, uint16(len(data)))
	return append(h, data...)
}

func trans2Words(sub uint16, timeout uint32) []byte {
	w := make([]byte, 30)
	binary.LittleEndian.PutUint32(w[12:], timeout)
	w[26] = 1
	binary.LittleEndian.PutUint16(w[28:], sub)
	return w
}

func TestSMB1NegotiateTrans2AndDoublePulsarReply(t *testing.T) {
	neg := smb1(SMB1Negotiate, false, 0, 1, nil, []byte("\x02PC NETWORK PROGRAM 1.0\x00\x02NT LM 0.12\x00"))
	ping := smb1(SMB1Trans2, false, 0, 65, trans2Words(Trans2SessionSetup, 0x25e18fe0), nil)
	pong := smb1(SMB1Trans2, true, 0xc0000002, 81, nil, nil)
	stream := append(nbss(neg), nbss(ping)...)
	out := feed(AppSMB, stream[:10], stream[10:], ToClient, nbss(pong))
	if len(out) != 3 {
		t.Fatalf("got %d records", len(out))
	}
	n := out[0].r.(*SMB)
	if strings.Join(n.Dialects, "|") != "PC NETWORK PROGRAM 1.0|NT LM 0.12" {
		t.Errorf("dialects %q", n.Dialects)
	}
	p := out[1].r.(*SMB)
	if p.Trans2Sub != Trans2SessionSetup || p.MID != 65 || p.Timeout != 0x25e18fe0 {
		t.Errorf("ping %+v", p)
	}
	r := out[2].r.(*SMB)
	if !r.Reply || r.MID != 81 || r.Status != 0xc0000002 || out[2].dir != ToClient {
		t.Errorf("reply %+v", r)
	}
}

func u16(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

func smb2(cmd uint16, reply bool, mid uint64, tid uint32, body []byte) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	binary.LittleEndian.PutUint16(h[12:], cmd)
	if reply {
		binary.LittleEndian.PutUint32(h[16:], 1)
	}
	binary.LittleEndian.PutUint64(h[24:], mid)
	binary.LittleEndian.PutUint32(h[36:], tid)
	return append(h, body...)
}

// dceBind and dceRequest build DCE-RPC PDUs.
func dceBind(uuid [16]byte) []byte {
	p := make([]byte, 28)
	p[0], p[2] = 5, DCEBind
	p[24] = 1
	item := make([]byte, 44)
	item[2] = 1
	copy(item[4:], uuid[:])
	p = append(p, item...)
	binary.LittleEndian.PutUint16(p[8:], uint16(len(p)))
	return p
}

func ndr(s string) []byte {
	n := len([]rune(s)) + 1
	b := binary.LittleEndian.AppendUint32(nil, uint32(n))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = append(b, u16(s)...)
	b = append(b, 0, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func dceRequest(opnum uint16, stub []byte) []byte {
	p := make([]byte, 24)
	p[0], p[2] = 5, DCERequest
	binary.LittleEndian.PutUint16(p[22:], opnum)
	p = append(p, stub...)
	binary.LittleEndian.PutUint16(p[8:], uint16(len(p)))
	return p
}

var svcctlUUID = [16]byte{0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35, 0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03}

func TestSMB2PipeCarriesSvcctlCreateService(t *testing.T) {
	path := u16(`\\10.0.0.5\IPC$`)
	tc := make([]byte, 8)
	binary.LittleEndian.PutUint16(tc[4:], 64+8)
	binary.LittleEndian.PutUint16(tc[6:], uint16(len(path)))
	tc = append(tc, path...)

	name := u16("svcctl")
	cr := make([]byte, 56)
	binary.LittleEndian.PutUint16(cr[44:], 64+56)
	binary.LittleEndian.PutUint16(cr[46:], uint16(len(name)))
	cr = append(cr, name...)
	crResp := make([]byte, 88)
	fid := []byte("0123456789abcdef")
	copy(crResp[64:], fid)

	stub := make([]byte, 20) // context handle
	stub = append(stub, ndr("PSEXESVC")...)
	stub = append(stub, 0, 0, 0, 0) // no display name
	stub = append(stub, make([]byte, 16)...)
	stub = append(stub, ndr(`%SystemRoot%\PSEXESVC.exe`)...)
	write := func(data []byte) []byte {
		w := make([]byte, 48)
		binary.LittleEndian.PutUint16(w[2:], 64+48)
		binary.LittleEndian.PutUint32(w[4:], uint32(len(data)))
		copy(w[16:], fid)
		return append(w, data...)
	}
	out := feed(AppSMB, nbss(smb2(SMB2TreeConnect, false, 1, 0, tc)),
		ToClient, nbss(smb2(SMB2TreeConnect, true, 1, 7, make([]byte, 16))),
		ToServer, nbss(smb2(SMB2Create, false, 2, 7, cr)),
		ToClient, nbss(smb2(SMB2Create, true, 2, 7, crResp)),
		ToServer, nbss(smb2(SMB2Write, false, 3, 7, write(dceBind(svcctlUUID)))),
		nbss(smb2(SMB2Write, false, 4, 7, write(dceRequest(12, stub)))))
	var dce []*DCERPC
	var create *SMB
	for _, r := range out {
		switch v := r.r.(type) {
		case *DCERPC:
			dce = append(dce, v)
		case *SMB:
			if v.Command == SMB2Create && !v.Reply {
				create = v
			}
		}
	}
	if create == nil || create.FileName != "svcctl" || create.Share != `\\10.0.0.5\IPC$` {
		t.Fatalf("create %+v", create)
	}
	if len(dce) != 2 || dce[0].Interface != "svcctl" || dce[1].Opnum != 12 || dce[1].Pipe != "svcctl" {
		t.Fatalf("dce %+v", dce)
	}
	if dce[1].ServiceName != "PSEXESVC" || dce[1].BinaryPath != `%SystemRoot%\PSEXESVC.exe` {
		t.Errorf("service %q path %q", dce[1].ServiceName, dce[1].BinaryPath)
	}
}

func TestSMBOversizedMessageIsSkippedNotBuffered(t *testing.T) {
	big := smb1(SMB1Trans2Second, false, 0, 5, make([]byte, 18), make([]byte, DefaultLimits.Message+5000))
	next := smb1(SMB1Echo, false, 0, 6, nil, nil)
	out := feed(AppSMB, nbss(big), nbss(next))
	if len(out) != 2 || out[1].r.(*SMB).Command != SMB1Echo {
		t.Fatalf("got %d records", len(out))
	}
}
