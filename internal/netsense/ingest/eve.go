package ingest

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/event"
)

// eveRecord is the part of an EVE line that every event type shares.
type eveRecord struct {
	Timestamp string          `json:"timestamp"`
	FlowID    uint64          `json:"flow_id"`
	EventType string          `json:"event_type"`
	SrcIP     string          `json:"src_ip"`
	SrcPort   int             `json:"src_port"`
	DestIP    string          `json:"dest_ip"`
	DestPort  int             `json:"dest_port"`
	Proto     string          `json:"proto"`
	AppProto  string          `json:"app_proto"`
	Alert     *eveAlert       `json:"alert"`
	DNS       json.RawMessage `json:"dns"`
	HTTP      *struct {
		Hostname  string `json:"hostname"`
		URL       string `json:"url"`
		UserAgent string `json:"http_user_agent"`
		Method    string `json:"http_method"`
		Status    int    `json:"status"`
	} `json:"http"`
	TLS *struct {
		SNI     string `json:"sni"`
		Version string `json:"version"`
		Subject string `json:"subject"`
		JA3     *struct {
			Hash string `json:"hash"`
		} `json:"ja3"`
		JA4 string `json:"ja4"`
	} `json:"tls"`
	Flow *struct {
		PktsToServer  int64 `json:"pkts_toserver"`
		PktsToClient  int64 `json:"pkts_toclient"`
		BytesToServer int64 `json:"bytes_toserver"`
		BytesToClient int64 `json:"bytes_toclient"`
	} `json:"flow"`
	Medshield *struct {
		RuleID    string `json:"rule_id"`
		Technique string `json:"technique"`
		Severity  int    `json:"severity"`
		Indicator string `json:"indicator"`
	} `json:"medshield"`
}

type eveAlert struct {
	SignatureID int                 `json:"signature_id"`
	Signature   string              `json:"signature"`
	Category    string              `json:"category"`
	Severity    int                 `json:"severity"`
	Metadata    map[string][]string `json:"metadata"`
}

// eveDNS covers both layouts: v2 (one record per query or answer, with
// type/rrname/rrtype/rcode and answers[] or grouped answers) and v3
// (Suricata 8: queries[] and answers[] in one record).
type eveDNS struct {
	Type    string `json:"type"`
	RRName  string `json:"rrname"`
	RRType  string `json:"rrtype"`
	RCode   string `json:"rcode"`
	Queries []struct {
		RRName string `json:"rrname"`
		RRType string `json:"rrtype"`
	} `json:"queries"`
	Answers []struct {
		RRName string `json:"rrname"`
		RRType string `json:"rrtype"`
		RData  string `json:"rdata"`
	} `json:"answers"`
	Grouped map[string][]any `json:"grouped"`
}

// eveTimeLayouts are the timestamp forms Suricata has used.
var eveTimeLayouts = []string{"2006-01-02T15:04:05.999999-0700", "2006-01-02T15:04:05.999999Z07:00", time.RFC3339Nano}

// ReadEVE reads Suricata EVE JSON lines and calls emit for each event.
func ReadEVE(r io.Reader, name string, emit func(event.Event)) (Stats, error) {
	var st Stats
	err := eachLine(r, name, &st, func(n int, line []byte) {
		var rec eveRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			st.fail(name, n, "not JSON: %v", err)
			return
		}
		if rec.EventType == "" {
			st.fail(name, n, "no event_type")
			return
		}
		ev, err := eveEvent(&rec, line)
		if err != nil {
			st.fail(name, n, "%v", err)
			return
		}
		st.Events++
		if ev.Kind == event.KindAlert {
			st.Alerts++
		}
		emit(ev)
	})
	return st, err
}

func parseEVETime(s string) (time.Time, error) {
	for _, l := range eveTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q not understood", clip(s))
}

func eveEvent(rec *eveRecord, line []byte) (event.Event, error) {
	ts, err := parseEVETime(rec.Timestamp)
	if err != nil {
		return event.Event{}, err
	}
	ev := event.New(event.KindEvent, "suricata."+rec.EventType, rec.EventType)
	ev.Timestamp = ts
	ev.Category = "network"
	if rec.SrcIP != "" {
		ev.Source = &event.Endpoint{IP: rec.SrcIP, Port: rec.SrcPort}
	}
	if rec.DestIP != "" {
		ev.Destination = &event.Endpoint{IP: rec.DestIP, Port: rec.DestPort}
	}
	ev.Labels = map[string]string{}
	if rec.Proto != "" {
		ev.Labels["network.transport"] = rec.Proto
	}
	if rec.AppProto != "" {
		ev.Labels["network.protocol"] = rec.AppProto
	}
	if rec.FlowID != 0 {
		ev.Labels["flow.id"] = fmt.Sprint(rec.FlowID)
	}
	if len(line) <= event.MaxRawLen {
		ev.Raw = append([]byte(nil), line...)
	}
	switch rec.EventType {
	case "alert":
		if rec.Alert == nil {
			return ev, fmt.Errorf("alert record without an alert object")
		}
		ev.Kind = event.KindAlert
		ev.Action = "alert"
		sev := map[int]int{1: event.SeverityHigh, 2: event.SeverityMedium, 3: event.SeverityLow}[rec.Alert.Severity]
		if sev == 0 {
			sev = event.SeverityLow
		}
		ev.Severity = sev
		ev.Rule = &event.Rule{ID: fmt.Sprintf("suricata:%d", rec.Alert.SignatureID), Name: rec.Alert.Signature, Ruleset: "suricata",
			Level: levelOf(sev)}
		ev.Message = rec.Alert.Signature
		ev.Labels["category"] = rec.Alert.Category
		for _, t := range rec.Alert.Metadata["mitre_technique_id"] {
			ev.Techniques = append(ev.Techniques, t)
		}
		if m := rec.Medshield; m != nil && m.RuleID != "" { // our own EVE, read back
			ev.Rule.ID, ev.Rule.Ruleset = m.RuleID, "medshield-netsense"
			if m.Severity > 0 {
				ev.Severity, ev.Rule.Level = m.Severity, levelOf(m.Severity)
			}
			if m.Technique != "" {
				ev.Techniques = []string{m.Technique}
			}
			if m.Indicator != "" {
				ev.Fields = map[string]any{"threat.indicator": m.Indicator}
			}
		}
	case "dns":
		d, err := eveDNSOf(rec.DNS)
		if err != nil {
			return ev, err
		}
		ev.DNS = d
	case "http":
		if h := rec.HTTP; h != nil {
			ev.URL = &event.URL{Full: "http://" + h.Hostname + h.URL, Domain: h.Hostname, Path: pathOf(h.URL)}
			ev.Fields = map[string]any{"user_agent.original": h.UserAgent, "http.request.method": h.Method}
			if h.Status != 0 {
				ev.Fields["http.response.status_code"] = h.Status
			}
		}
	case "tls":
		if t := rec.TLS; t != nil {
			if ev.Destination == nil {
				ev.Destination = &event.Endpoint{}
			}
			ev.Destination.Domain = t.SNI
			ev.Fields = map[string]any{"tls.version": t.Version}
			if t.JA3 != nil {
				ev.Fields["tls.client.ja3"] = t.JA3.Hash
			}
			if t.JA4 != "" {
				ev.Fields["tls.client.ja4"] = t.JA4
			}
			if t.Subject != "" {
				ev.Fields["tls.server.subject"] = t.Subject
			}
		}
	case "flow", "netflow":
		if f := rec.Flow; f != nil && ev.Source != nil && ev.Destination != nil {
			ev.Source.Packets, ev.Source.Bytes = f.PktsToServer, f.BytesToServer
			ev.Destination.Packets, ev.Destination.Bytes = f.PktsToClient, f.BytesToClient
		}
	}
	return ev, nil
}

func eveDNSOf(raw json.RawMessage) (*event.DNS, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("dns record without a dns object")
	}
	var d eveDNS
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("dns object: %v", err)
	}
	out := &event.DNS{QuestionName: d.RRName, QuestionType: d.RRType, ResponseCode: d.RCode}
	if len(d.Queries) > 0 { // v3
		out.QuestionName, out.QuestionType = d.Queries[0].RRName, d.Queries[0].RRType
	}
	for _, a := range d.Answers {
		if len(out.Answers) < 32 && a.RData != "" {
			out.Answers = append(out.Answers, a.RData)
		}
	}
	for _, vals := range d.Grouped { // v2 "grouped" answer format
		for _, v := range vals {
			if s, ok := v.(string); ok && len(out.Answers) < 32 {
				out.Answers = append(out.Answers, s)
			}
		}
	}
	return out, nil
}

func levelOf(sev int) string {
	switch {
	case sev >= event.SeverityCritical:
		return "critical"
	case sev >= event.SeverityHigh:
		return "high"
	case sev >= event.SeverityMedium:
		return "medium"
	case sev >= event.SeverityLow:
		return "low"
	}
	return "informational"
}

func pathOf(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
