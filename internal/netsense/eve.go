package netsense

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/flowtable"
	"github.com/medshield/medshield/internal/netsense/proto"
)

// eveWriter writes Suricata-EVE-compatible JSON lines. Records that
// Suricata does not have (hl7, dicom, stratum, rdp, dcerpc) use their own
// event_type with a medshield-specific object, as Suricata does for its
// own app-layer parsers.
type eveWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func newEVE(w io.Writer) *eveWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &eveWriter{w: bw, enc: enc}
}

func (e *eveWriter) flush() { _ = e.w.Flush() }

// eveTime is Suricata's timestamp layout.
func eveTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000-0700")
}

type eveBase struct {
	Timestamp string `json:"timestamp"`
	FlowID    uint64 `json:"flow_id,omitempty"`
	EventType string `json:"event_type"`
	SrcIP     string `json:"src_ip,omitempty"`
	SrcPort   int    `json:"src_port,omitempty"`
	DestIP    string `json:"dest_ip,omitempty"`
	DestPort  int    `json:"dest_port,omitempty"`
	Proto     string `json:"proto,omitempty"`
	AppProto  string `json:"app_proto,omitempty"`
}

func base(ts int64, typ string, f *flowtable.Flow, dir int) eveBase {
	b := eveBase{Timestamp: eveTime(ts), EventType: typ}
	if f != nil {
		src, dst := f.Client, f.Server
		if dir == flowtable.ToClient {
			src, dst = dst, src
		}
		b.FlowID, b.Proto = f.ID, protoName(f.Proto)
		b.SrcIP, b.SrcPort = src.Addr().String(), int(src.Port())
		b.DestIP, b.DestPort = dst.Addr().String(), int(dst.Port())
	}
	return b
}

func (e *eveWriter) write(v any) { _ = e.enc.Encode(v) }

func (e *eveWriter) alert(a analysis.Alert) {
	sev := 3
	switch {
	case a.Rule.Severity >= 70:
		sev = 1
	case a.Rule.Severity >= 50:
		sev = 2
	}
	b := eveBase{Timestamp: eveTime(a.Time), FlowID: a.FlowID, EventType: "alert", Proto: protoName(a.Proto)}
	if a.Src.IsValid() {
		b.SrcIP, b.SrcPort = a.Src.Addr().String(), int(a.Src.Port())
	}
	if a.Dst.IsValid() {
		b.DestIP, b.DestPort = a.Dst.Addr().String(), int(a.Dst.Port())
	}
	e.write(struct {
		eveBase
		Alert     map[string]any `json:"alert"`
		Medshield map[string]any `json:"medshield"`
	}{b, map[string]any{"action": "allowed", "gid": 1, "signature_id": a.Rule.SID, "rev": 1,
		"signature": a.Rule.Name, "category": a.Rule.Category, "severity": sev},
		map[string]any{"rule_id": a.Rule.ID, "technique": a.Rule.Technique, "severity": a.Rule.Severity,
			"indicator": a.Indicator, "evidence": a.Evidence, "message": a.Message}})
}

func (e *eveWriter) flow(f *flowtable.Flow, app proto.App, why flowtable.EndReason) {
	b := base(f.Last, "flow", f, flowtable.ToServer)
	b.AppProto = string(app)
	e.write(struct {
		eveBase
		Flow map[string]any `json:"flow"`
	}{b, map[string]any{"pkts_toserver": f.Packets[0], "pkts_toclient": f.Packets[1],
		"bytes_toserver": f.Bytes[0], "bytes_toclient": f.Bytes[1], "start": eveTime(f.First), "end": eveTime(f.Last),
		"state": f.State.String(), "reason": why.String()}})
}

func (e *eveWriter) record(ts int64, f *flowtable.Flow, dir int, r proto.Record) {
	switch r := r.(type) {
	case *proto.DNS:
		b := base(ts, "dns", f, dir)
		b.AppProto = "dns"
		if !r.Response {
			for _, q := range r.Questions {
				e.write(struct {
					eveBase
					DNS map[string]any `json:"dns"`
				}{b, map[string]any{"version": 2, "type": "query", "id": r.ID, "rrname": q.Name, "rrtype": proto.TypeName(q.Type), "tx_id": 0}})
			}
			return
		}
		d := map[string]any{"version": 2, "type": "answer", "id": r.ID, "rcode": proto.RCodeName(r.RCode)}
		if len(r.Questions) > 0 {
			d["rrname"], d["rrtype"] = r.Questions[0].Name, proto.TypeName(r.Questions[0].Type)
		}
		var ans []map[string]any
		for _, a := range r.Answers {
			ans = append(ans, map[string]any{"rrname": a.Name, "rrtype": proto.TypeName(a.Type), "ttl": a.TTL, "rdata": a.Data})
		}
		if len(ans) > 0 {
			d["answers"] = ans
		}
		e.write(struct {
			eveBase
			DNS map[string]any `json:"dns"`
		}{b, d})
	case *proto.HTTPRequest:
		b := base(ts, "http", f, dir)
		b.AppProto = "http"
		e.write(struct {
			eveBase
			HTTP map[string]any `json:"http"`
		}{b, map[string]any{"hostname": r.Host, "url": r.URI, "http_user_agent": r.UserAgent, "http_method": r.Method,
			"protocol": r.Version, "http_content_type": r.ContentType, "request_body_length": len(r.Body)}})
	case *proto.TLSClientHello:
		b := base(ts, "tls", f, dir)
		b.AppProto = "tls"
		t := map[string]any{"version": tlsVersion(r.MaxVersion), "ja3": map[string]string{"hash": r.JA3Hash, "string": r.JA3}, "ja4": r.JA4}
		if r.SNI != "" {
			t["sni"] = r.SNI
		}
		if len(r.ALPN) > 0 {
			t["client_alpns"] = r.ALPN
		}
		e.write(struct {
			eveBase
			TLS map[string]any `json:"tls"`
		}{b, t})
	case *proto.TLSCertificate:
		b := base(ts, "tls", f, dir)
		b.AppProto = "tls"
		e.write(struct {
			eveBase
			TLS map[string]any `json:"tls"`
		}{b, map[string]any{"subject": "CN=" + r.Subject, "issuerdn": "CN=" + r.Issuer,
			"notbefore": r.NotBefore.UTC().Format("2006-01-02T15:04:05"), "notafter": r.NotAfter.UTC().Format("2006-01-02T15:04:05")}})
	case *proto.SMB:
		b := base(ts, "smb", f, dir)
		b.AppProto = "smb"
		m := map[string]any{"id": r.MID, "dialect": smbDialect(r), "command": smbCommand(r), "status_code": fmt.Sprintf("0x%x", r.Status)}
		if r.Share != "" {
			m["share"] = r.Share
		}
		if r.FileName != "" {
			m["filename"] = r.FileName
		}
		e.write(struct {
			eveBase
			SMB map[string]any `json:"smb"`
		}{b, m})
	case *proto.DCERPC:
		b := base(ts, "dcerpc", f, dir)
		b.AppProto = "dcerpc"
		e.write(struct {
			eveBase
			DCERPC map[string]any `json:"dcerpc"`
		}{b, map[string]any{"ptype": r.PType, "interface": r.Interface, "uuid": r.UUID, "opnum": r.Opnum, "pipe": r.Pipe}})
	case *proto.JSONRPC:
		b := base(ts, "stratum", f, dir)
		b.AppProto = "jsonrpc"
		e.write(struct {
			eveBase
			Stratum map[string]any `json:"stratum"`
		}{b, map[string]any{"method": r.Method, "agent": r.Agent, "hosts": r.Hosts}})
	case *proto.HL7:
		b := base(ts, "hl7", f, dir)
		b.AppProto = "hl7"
		e.write(struct {
			eveBase
			HL7 map[string]any `json:"hl7"`
		}{b, map[string]any{"message_type": r.MessageType, "segments": strings.Join(r.Segments, ","),
			"patient_name": r.PatientName, "identifiers": len(r.PII)}})
	case *proto.DICOM:
		b := base(ts, "dicom", f, dir)
		b.AppProto = "dicom"
		e.write(struct {
			eveBase
			DICOM map[string]any `json:"dicom"`
		}{b, map[string]any{"pdu": r.PDU, "called_ae": r.CalledAE, "calling_ae": r.CallingAE, "command": r.Command,
			"patient_tags": r.PatientTags}})
	case *proto.RDP:
		b := base(ts, "rdp", f, dir)
		b.AppProto = "rdp"
		e.write(struct {
			eveBase
			RDP map[string]any `json:"rdp"`
		}{b, map[string]any{"cookie": r.Cookie, "confirm": r.Confirm}})
	}
}

func tlsVersion(v uint16) string {
	switch v {
	case 0x0304:
		return "TLS 1.3"
	case 0x0303:
		return "TLS 1.2"
	case 0x0302:
		return "TLS 1.1"
	case 0x0301:
		return "TLS 1.0"
	case 0x0300:
		return "SSLv3"
	case 0x0002:
		return "SSLv2"
	}
	return fmt.Sprintf("0x%04x", v)
}

func smbDialect(r *proto.SMB) string {
	switch {
	case r.Dialect != "":
		return r.Dialect
	case r.Version == 1:
		return "NT LM 0.12"
	case r.Version == 3:
		return "encrypted"
	}
	return "2"
}

var smb1Names = map[uint16]string{0x25: "TRANS", 0x2b: "ECHO", 0x2e: "READ_ANDX", 0x2f: "WRITE_ANDX", 0x32: "TRANS2",
	0x33: "TRANS2_SECONDARY", 0x72: "NEGOTIATE_PROTOCOL", 0x73: "SESSION_SETUP_ANDX", 0x75: "TREE_CONNECT_ANDX",
	0xa0: "NT_TRANS", 0xa1: "NT_TRANS_SECONDARY", 0xa2: "NT_CREATE_ANDX", 0x04: "CLOSE", 0x71: "TREE_DISCONNECT", 0x74: "LOGOFF_ANDX"}

var smb2Names = []string{"NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT", "CREATE", "CLOSE",
	"FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL", "ECHO", "QUERY_DIRECTORY", "CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO", "OPLOCK_BREAK"}

func smbCommand(r *proto.SMB) string {
	switch r.Version {
	case 1:
		if n, ok := smb1Names[r.Command]; ok {
			return "SMB1_COMMAND_" + n
		}
		return fmt.Sprintf("SMB1_COMMAND_0x%02x", r.Command)
	case 2:
		if int(r.Command) < len(smb2Names) {
			return "SMB2_COMMAND_" + smb2Names[r.Command]
		}
		return fmt.Sprintf("SMB2_COMMAND_0x%02x", r.Command)
	}
	return "SMB3_ENCRYPTED"
}
