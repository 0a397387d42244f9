package netsense_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/ioc"
	"github.com/medshield/medshield/internal/netsense"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

// TestEVEAlertCarriesSuricataFields checks the EVE alert layout that
// Suricata consumers (and medshield's own ingest) expect.
func TestEVEAlertCarriesSuricataFields(t *testing.T) {
	set := ioc.NewSet()
	set.Load(strings.NewReader("203.0.113.7\n"), "t.txt")
	var buf bytes.Buffer
	s, err := netsense.New(netsense.Options{IOC: set, Detectors: detect.All(), EVE: &buf})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pcaptest.NewConv(pcaptest.Base, "10.0.0.2", 40000, "203.0.113.7", 80).
		Send(true, []byte("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n")).Close() {
		s.Packet(p)
	}
	s.Flush()
	types := map[string]map[string]any{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad EVE line %q: %v", sc.Text(), err)
		}
		types[m["event_type"].(string)] = m
	}
	a := types["alert"]
	if a == nil || types["http"] == nil || types["flow"] == nil {
		t.Fatalf("event types %v", keys(types))
	}
	for _, k := range []string{"timestamp", "flow_id", "src_ip", "src_port", "dest_ip", "dest_port", "proto"} {
		if a[k] == nil {
			t.Errorf("alert lacks %s", k)
		}
	}
	al := a["alert"].(map[string]any)
	for _, k := range []string{"signature_id", "signature", "category", "severity", "action", "gid", "rev"} {
		if al[k] == nil {
			t.Errorf("alert.alert lacks %s", k)
		}
	}
	ms := a["medshield"].(map[string]any)
	if ms["rule_id"] != "ioc.ip" || ms["technique"] != "T1071" || ms["indicator"] != "203.0.113.7" {
		t.Errorf("medshield object %v", ms)
	}
	if ts := a["timestamp"].(string); !strings.HasPrefix(ts, "2024-01-15T08:00:00.") || !strings.HasSuffix(ts, "+0000") {
		t.Errorf("timestamp %q", ts)
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSYNFloodKeepsFlowTableBounded scans a /16 with a table bounded to
// 4096 flows: memory stays flat and every eviction is counted.
func TestSYNFloodKeepsFlowTableBounded(t *testing.T) {
	cfg := analysis.Defaults()
	cfg.Flows.MaxFlows = 4096
	s, _ := netsense.New(netsense.Options{Config: cfg, Detectors: detect.All()})
	syn := pcaptest.TCP(pcaptest.Base, "10.9.9.9", 40000, "10.1.0.1", 445, 0x02, 1, 0, nil)
	for i := 0; i < 65536; i++ {
		p := syn
		p.Data = append([]byte(nil), syn.Data...)
		p.Data[14+18], p.Data[14+19] = byte(i>>8), byte(i) // destination 10.1.x.y (checksums do not matter here)
		p.TimeNanos += int64(i) * 1000
		s.Packet(p)
	}
	st := s.Stats()
	if st.Flows != 65536 || st.FlowsEvicted != 65536-4096 {
		t.Errorf("flows %d evicted %d", st.Flows, st.FlowsEvicted)
	}
	if st.Rules["lateral.fanout"] != 1 {
		t.Errorf("the fan-out must be reported once, got %v", st.Rules)
	}
}

// TestCorpusJA3MatchesTshark compares JA3 hashes with those tshark 4.0.17
// (tls.handshake.ja3) computes for the same ClientHellos.
func TestCorpusJA3MatchesTshark(t *testing.T) {
	dir := corpus.Dir(t, "pcap")
	tests := []struct{ file, sni, ja3 string }{
		{"benign/ndpi-tls-esni-and-sni.pcap", "these-are-not-the-droids-youre-looking-for.com", "077d20c3f8c5a1f091dc937c515b69c1"},
		{"c2/synth-ioc-dns-http-tls-sni.pcap", "pool.supportxmr.com", "d39e1be3241d516b1f714bd47c2bc968"},
		{"benign/ndpi-tls-1.1.1.1-linktype-sll.pcap", "", "547df21d727c7b3a5dcb59aa0fd97c2c"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		s, _ := netsense.New(netsense.Options{EVE: &buf})
		if err := s.RunFile(context.Background(), filepath.Join(dir, tc.file)); err != nil {
			t.Fatal(err)
		}
		found := false
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			var m struct {
				TLS struct {
					SNI string `json:"sni"`
					JA3 struct {
						Hash string `json:"hash"`
					} `json:"ja3"`
				} `json:"tls"`
			}
			json.Unmarshal(sc.Bytes(), &m)
			if m.TLS.JA3.Hash != "" && m.TLS.SNI == tc.sni {
				found = true
				if m.TLS.JA3.Hash != tc.ja3 {
					t.Errorf("%s %s: ja3 %s, tshark says %s", tc.file, tc.sni, m.TLS.JA3.Hash, tc.ja3)
				}
			}
		}
		if !found {
			t.Errorf("%s: no ClientHello with SNI %q", tc.file, tc.sni)
		}
	}
}

func ExampleSensor() {
	s, _ := netsense.New(netsense.Options{Detectors: detect.All()})
	// An XMAS probe: no connection, all the odd flags.
	s.Packet(pcaptest.TCP(pcaptest.Base, "10.0.0.9", 40000, "10.0.0.1", 22, 0x29, 1, 0, nil))
	s.Flush()
	for _, a := range s.Alerts() {
		fmt.Println(a.Rule.ID, a.Source.IP, "->", a.Destination.IP, a.Techniques)
	}
	// Output: scan.stealth 10.0.0.9 -> 10.0.0.1 [T1046]
}

func TestKeptAlertsAreBounded(t *testing.T) {
	n := 0
	s, _ := netsense.New(netsense.Options{Detectors: detect.All(), KeepAlerts: 3, OnAlert: func(event.Event) { n++ }})
	for i := 0; i < 10; i++ { // ten XMAS probes from ten hosts: ten distinct alerts
		s.Packet(pcaptest.TCP(pcaptest.Base, fmt.Sprintf("10.0.0.%d", i+1), 40000, "10.0.1.1", 22, 0x29, 1, 0, nil))
	}
	if len(s.Alerts()) != 3 || s.Stats().Alerts != 10 || n != 10 {
		t.Errorf("kept %d, counted %d, delivered %d", len(s.Alerts()), s.Stats().Alerts, n)
	}
}

func TestSuppressionsDropKnownGoodActivity(t *testing.T) {
	probe := func(src string) capture.Packet {
		return pcaptest.TCP(pcaptest.Base, src, 40000, "10.0.1.1", 22, 0x29, 1, 0, nil)
	}
	tests := []struct {
		supp []analysis.Suppression
		want int
	}{
		{nil, 2},
		{[]analysis.Suppression{{Rule: "scan.stealth", Src: "10.0.0.5"}}, 1},
		{[]analysis.Suppression{{Rule: "scan.*", Src: "10.0.0.0/24"}}, 0},
		{[]analysis.Suppression{{Rule: "*", Dst: "10.0.2.0/24"}}, 2},
		{[]analysis.Suppression{{Rule: "lateral.winrm"}}, 2},
	}
	for i, tc := range tests {
		cfg := analysis.Defaults()
		cfg.Suppress = tc.supp
		s, err := netsense.New(netsense.Options{Config: cfg, Detectors: detect.All()})
		if err != nil {
			t.Fatal(err)
		}
		s.Packet(probe("10.0.0.5"))
		s.Packet(probe("10.0.0.6"))
		if got := len(s.Alerts()); got != tc.want {
			t.Errorf("case %d: %d alerts, want %d", i, got, tc.want)
		}
	}
	cfg := analysis.Defaults()
	cfg.Suppress = []analysis.Suppression{{Rule: "x", Src: "not-an-address"}}
	if _, err := netsense.New(netsense.Options{Config: cfg}); err == nil {
		t.Error("a bad suppression must be an error")
	}
}
