package proto

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestJSONRPCMiningDialects(t *testing.T) {
	tests := []struct {
		line   string
		method string
		agent  string
		login  string
		hosts  string
	}{
		{`{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"4AdUndXHHZ","pass":"x","agent":"XMRig/6.21.0","algo":["rx/0","cn/r"]}}`,
			"login", "XMRig/6.21.0", "4AdUndXHHZ", ""},
		{`{"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.10.0", "eu1-zcash.flypool.org", 3333]}`,
			"mining.subscribe", "cgminer/4.10.0", "", "eu1-zcash.flypool.org"},
		{`{"id":2,"method":"mining.authorize","params":["wallet.rig4","x"]}`, "mining.authorize", "", "wallet.rig4", ""},
		{`{"worker":"rig","jsonrpc":"2.0","params":["0xabc"],"id":1,"method":"eth_submitLogin"}`, "eth_submitLogin", "", "0xabc", ""},
	}
	for _, tc := range tests {
		r, ok := ParseJSONRPC([]byte(tc.line))
		if !ok {
			t.Errorf("%s: not parsed", tc.method)
			continue
		}
		if r.Method != tc.method || r.Agent != tc.agent || r.Login != tc.login || strings.Join(r.Hosts, ",") != tc.hosts || !MiningMethod(r.Method) {
			t.Errorf("%s: got %+v", tc.method, r)
		}
	}
	if _, ok := ParseJSONRPC([]byte(`{"result":true,"id":1}`)); ok {
		t.Error("a response without method must not parse as a request")
	}
	out := feed(AppStratum, `{"id":1,"method":"mining.sub`, "scribe\",\"params\":[]}\n{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"w\",\"x\"]}\n")
	if len(out) != 2 {
		t.Errorf("stream: %d records", len(out))
	}
}

func TestHL7OverMLLP(t *testing.T) {
	msg := "MSH|^~\\&|HIS|HOSP|LIS|LAB|20240115080000||ADT^A04^ADT_A04|MSG0001|P|2.5\r" +
		"PID|1||MRN001^^^HIS^MR~110101199003074514^^^CHN^NNCHN||ZHANG^SAN^^^^^L||19900307|M|||Road 1^^Beijing||^PRN^CP^^^13800138000\r" +
		"PV1|1|O\r"
	frame := "\x0b" + msg + "\x1c\r"
	out := feed(AppHL7, frame[:40], frame[40:]+"\x0bMSH|^~\\&|LIS|LAB|HIS|HOSP|20240115||ACK^A04|A1|P|2.5\rMSA|AA|MSG0001\r\x1c\r")
	if len(out) != 2 {
		t.Fatalf("got %d records", len(out))
	}
	m := out[0].r.(*HL7)
	if m.MessageType != "ADT^A04^ADT_A04" || !m.PatientName || m.PatientIDs != 2 || strings.Join(m.IDTypes, ",") != "MR,NNCHN" ||
		!m.BirthDate || !m.Address || !m.Phone || len(m.PII) != 2 {
		t.Errorf("hl7 %+v", m)
	}
	if ack := out[1].r.(*HL7); ack.MessageType != "ACK^A04" || ack.PatientName {
		t.Errorf("ack %+v", ack)
	}
}

func pdu(typ byte, body []byte) []byte {
	h := []byte{typ, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(h[2:], uint32(len(body)))
	return append(h, body...)
}

func explicitElem(group, elem uint16, vr, value string) []byte {
	if len(value)%2 == 1 {
		value += " "
	}
	b := binary.LittleEndian.AppendUint16(nil, group)
	b = binary.LittleEndian.AppendUint16(b, elem)
	b = append(b, vr...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(value)))
	return append(b, value...)
}

func TestDICOMAssociateAndPatientTags(t *testing.T) {
	rq := make([]byte, 68)
	binary.BigEndian.PutUint16(rq[0:], 1)
	copy(rq[4:20], "PACS_CLOUD      ")
	copy(rq[20:36], "MODALITY01      ")
	sop := "1.2.840.10008.5.1.4.1.1.7"
	ctx := []byte{0x20, 0, 0, byte(8 + len(sop)), 1, 0, 0xff, 0, 0x30, 0, 0, byte(len(sop))}
	rq = append(rq, append(ctx, sop...)...)
	ds := append(explicitElem(0x0008, 0x0060, "CS", "OT"), explicitElem(0x0010, 0x0010, "PN", "ZHANG^SAN")...)
	ds = append(ds, explicitElem(0x0010, 0x1000, "LO", "110101199003074514")...)
	ds = append(ds, explicitElem(0x0010, 0x2154, "SH", "13800138000")...)
	pdv := binary.BigEndian.AppendUint32(nil, uint32(len(ds)+2))
	pdv = append(append(pdv, 1, 0x02), ds...) // dataset, last fragment
	pd := pdu(DICOMPData, pdv)
	out := feed(AppDICOM, pdu(DICOMAssociateRQ, rq), pd[:12], pd[12:])
	if len(out) != 2 {
		t.Fatalf("got %d records", len(out))
	}
	a := out[0].r.(*DICOM)
	if a.CalledAE != "PACS_CLOUD" || a.CallingAE != "MODALITY01" || strings.Join(a.Abstract, ",") != sop {
		t.Errorf("associate %+v", a)
	}
	d := out[1].r.(*DICOM)
	if !d.PatientName || strings.Join(d.PatientTags, ",") != "PatientName,OtherPatientIDs,PatientTelephoneNumbers" || len(d.PII) != 2 {
		t.Errorf("p-data %+v", d)
	}
}

func TestRDPCookie(t *testing.T) {
	x224 := "\x0e\xe0\x00\x00\x00\x00\x00Cookie: mstshash=administrator\r\n\x01\x00\x08\x00\x03\x00\x00\x00"
	tpkt := []byte{3, 0, 0, byte(4 + len(x224))}
	out := feed(AppRDP, append(tpkt, x224...))
	if len(out) != 1 || out[0].r.(*RDP).Cookie != "administrator" || out[0].r.(*RDP).Requested != 3 {
		t.Fatalf("got %+v", out)
	}
}

func TestDICOMOversizedPDUIsSkipped(t *testing.T) {
	big := pdu(DICOMPData, append([]byte{0, 0x02, 0, 0, 1, 0}, make([]byte, DefaultLimits.Message+1000)...))
	rel := pdu(DICOMReleaseRQ, make([]byte, 4))
	out := feed(AppDICOM, big[:5000], big[5000:], rel)
	if len(out) != 2 || out[1].r.(*DICOM).PDU != DICOMReleaseRQ {
		t.Fatalf("got %d records", len(out))
	}
}

func TestHTTPResponseBodies(t *testing.T) {
	out := feed(AppHTTP, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
		ToClient, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 4\r\n\r\n\x89PNG")
	var bodies []string
	for _, r := range out {
		if v, ok := r.r.(*HTTPResponse); ok {
			bodies = append(bodies, string(v.Body))
		}
	}
	if strings.Join(bodies, "|") != "abc|" {
		t.Errorf("response bodies %q", bodies)
	}
	// A body delimited by the connection's end is reported by End.
	var got []Record
	s := NewStream(AppHTTP, &DefaultLimits, func(_ int, r Record) { got = append(got, r) })
	s.Data(ToServer, []byte("GET / HTTP/1.0\r\n\r\n"))
	s.Data(ToClient, []byte("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>"))
	if len(got) != 1 {
		t.Fatalf("before End: %d records", len(got))
	}
	s.(Ender).End()
	if len(got) != 2 || string(got[1].(*HTTPResponse).Body) != "<html>" {
		t.Errorf("after End: %+v", got)
	}
}
