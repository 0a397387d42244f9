package proto

import (
	"testing"
)

// fuzzStream feeds the input to one dissector as chunks alternating
// between directions (the first byte of each chunk picks its length).
func fuzzStream(f *testing.F, app App, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(append([]byte{200}, s...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		s := NewStream(app, &Limits{HTTPBody: 512, HTTPHeaders: 1024, Message: 4096}, func(int, Record) { n++ })
		dir := ToServer
		for len(data) > 0 {
			k := int(data[0])%97 + 1
			data = data[1:]
			k = min(k, len(data))
			s.Data(dir, data[:k])
			data = data[k:]
			if k%3 == 0 {
				dir ^= 1
			}
			if k == 5 {
				s.Gap(dir)
			}
		}
	})
}

func FuzzParseDNS(f *testing.F) {
	f.Add(dnsMsg(1, true, 0, "a.example", TypeA, [4]byte{1, 2, 3, 4}))
	f.Add(dnsMsg(2, false, 0, "x.pirate.sea", TypeNULL))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ParseDNS(b); err == nil && len(m.Questions) > maxDNSRecords {
			t.Fatal("too many questions")
		}
	})
}

func FuzzHTTP(f *testing.F) {
	fuzzStream(f, AppHTTP, []byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
		[]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"))
}

func FuzzTLS(f *testing.F) {
	fuzzStream(f, AppTLS, clientHello(f, "a.example", []string{"h2"}), []byte{0x80, 0x2e, 1, 3, 1, 0, 3, 0, 0, 0, 16, 0, 0, 4})
}

func FuzzSMB(f *testing.F) {
	fuzzStream(f, AppSMB, nbss(smb1(SMB1Trans2, false, 0, 65, trans2Words(Trans2SessionSetup, 1), nil)),
		nbss(smb2(SMB2Write, false, 3, 7, make([]byte, 64))), nbss(smb1(SMB1Negotiate, false, 0, 1, nil, []byte("\x02NT LM 0.12\x00"))))
}

func FuzzDCERPC(f *testing.F) {
	fuzzStream(f, AppDCERPC, dceBind(svcctlUUID), append(dceBind(svcctlUUID), dceRequest(12, make([]byte, 80))...))
}

func FuzzJSONRPC(f *testing.F) {
	fuzzStream(f, AppStratum, []byte(`{"id":1,"method":"login","params":{"login":"w","agent":"XMRig/6"}}`+"\n"))
}

func FuzzHL7(f *testing.F) {
	fuzzStream(f, AppHL7, []byte("\x0bMSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPID|1||1^^^H^MR||DOE^J\r\x1c\r"))
}

func FuzzDICOM(f *testing.F) {
	fuzzStream(f, AppDICOM, pdu(DICOMPData, append([]byte{0, 0, 0, 20, 1, 2}, explicitElem(0x10, 0x10, "PN", "A^B")...)),
		pdu(DICOMAssociateRQ, make([]byte, 80)))
}

func FuzzRDP(f *testing.F) {
	fuzzStream(f, AppRDP, []byte("\x03\x00\x00\x2b\x26\xe0\x00\x00\x00\x00\x00Cookie: mstshash=a\r\n\x01\x00\x08\x00\x03\x00\x00\x00"))
}
