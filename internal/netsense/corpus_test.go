package netsense_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/ioc"
	"github.com/medshield/medshield/internal/netsense"
	"github.com/medshield/medshield/internal/netsense/detect"
)

// expect is one alert that must be reported: rule id, source and
// destination address ("" = any) and a substring of the message.
type expect struct{ rule, src, dst, text string }

// forbid describes alerts that must not be reported: a rule id prefix
// ("" = any rule) and optionally a source or destination prefix.
type forbid struct{ rule, src, dst string }

var anyAlert = []forbid{{}}

// labelled maps every row of pcap/LABELS.tsv to assertions. The must_report
// and must_not_report columns are prose, so they are translated here by
// hand; the ioc_hits column is parsed and checked mechanically.
var labelled = map[string]struct {
	want  []expect
	never []forbid
}{
	"smb-ms17-010/eternalblue-success-unpatched-win7.pcap": {
		want: []expect{
			{"ms17-010.eternalblue", "192.168.198.204", "192.168.198.203", ""},
			{"ms17-010.doublepulsar-implant", "192.168.198.204", "192.168.198.203", "MID 82"},
			{"smb.v1-in-use", "", "192.168.198.203", ""},
		},
		never: []forbid{{dst: "192.168.198.255"}},
	},
	"smb-ms17-010/eternalblue-failed-patched-win7.pcap": {never: anyAlert},
	"smb-ms17-010/doublepulsar-backdoor-connect-win7.pcap": {
		want: []expect{{"ms17-010.doublepulsar-implant", "192.168.198.204", "192.168.198.203", "MID 81"}},
	},
	"smb-ms17-010/eternalromance-doublepulsar-meterpreter.pcap": {
		want: []expect{
			{"ms17-010.eternalromance", "10.99.99.8", "172.23.33.10", ""},
			{"ms17-010.doublepulsar-implant", "10.99.99.8", "172.23.33.10", ""},
			{"c2.suspicious-port", "172.23.33.10", "10.99.99.189", ":4444"},
		},
	},
	"smb-ms17-010/ndpi-smbv1-trans2-session-setup.pcap": {
		want: []expect{
			{"smb.v1-in-use", "172.16.156.130", "10.128.0.243", ""},
			{"ms17-010.doublepulsar-check", "172.16.156.130", "10.128.0.243", "MID 65"},
		},
		never: []forbid{{rule: "ms17-010.doublepulsar-implant"}},
	},
	"mining/ndpi-mining-stratum.pcapng": {
		want: []expect{
			{"mining.stratum-login", "192.168.2.148", "94.23.199.191", ""},
			{"mining.stratum-login", "192.168.2.148", "116.211.167.195", ""},
			{"mining.xmrig-login", "192.168.2.92", "178.32.196.217", "xmr-stak"},
			{"mining.getwork", "147.229.13.222", "185.71.66.39", "eth_submitLogin"},
		},
	},
	"mining/synth-stratum-xmrig-login-and-v1.pcap": {
		want: []expect{
			{"mining.xmrig-login", "10.20.3.61", "203.0.113.90", "XMRig/6.21.0"},
			{"mining.stratum-login", "10.20.3.61", "203.0.113.91", ""},
		},
	},
	"mining/ndpi-monero-p2p-node.pcap": {
		want:  []expect{{"policy.crypto-p2p", "192.168.2.100", "", "monero"}},
		never: []forbid{{rule: "mining."}},
	},
	"dns-tunnel/dmachard-iodine.pcap":      {want: []expect{{"dns.tunnel", "192.168.1.17", "192.168.1.210", "biillpi.com"}}},
	"dns-tunnel/dmachard-dnscat2.pcap":     {want: []expect{{"dns.tunnel", "192.168.1.17", "192.168.1.210", "biillpi.com"}}},
	"dns-tunnel/dmachard-dnsextrator.pcap": {want: []expect{{"dns.tunnel", "192.168.1.102", "192.168.1.210", "hsc.fr"}}},
	"dns-tunnel/dmachard-sods.pcap":        {want: []expect{{"dns.tunnel", "192.168.1.17", "192.168.1.210", "hsc.fr"}}},
	"dns-tunnel/ndpi-dns-tunnel-iodine.pcap": {
		want: []expect{{"dns.tunnel", "10.0.2.30", "10.0.2.20", "pirate.sea"}},
	},
	"dns-tunnel/ndpi-dns-exf-single-query.pcap": {
		want: []expect{{"dns.tunnel", "192.168.2.225", "192.168.2.134", ""}},
	},
	"dns-tunnel/pcapattack-powershell-dns-txt-c2.pcap": {
		want:  []expect{{"dns.tunnel", "192.168.100.121", "", "ostrykebs.pl"}},
		never: []forbid{{rule: "dns.dga"}}, // the 49 NXDOMAIN answers are reverse look-ups
	},
	"dns-tunnel/synth-dns-dga-nxdomain-burst.pcap": {
		want:  []expect{{"dns.dga", "10.20.3.77", "10.20.0.53", ""}},
		never: []forbid{{src: "10.20.3.78"}},
	},
	"c2/pcapattack-foudre-backdoor-dga-http.pcapng": {
		want: []expect{{"ioc.domain", "10.0.2.15", "185.56.137.138", "http host"}, {"ioc.ip", "10.0.2.15", "185.56.137.138", ""}},
	},
	"c2/chrissanders-cryptowall4-c2.pcapng": {
		want:  []expect{{"ioc.domain", "192.168.122.145", "184.170.149.44", "homealldaylong.com"}},
		never: []forbid{{rule: "c2.beacon"}},
	},
	"c2/synth-beacon-http-60s-and-tcp-300s.pcap": {
		want: []expect{
			{"c2.beacon", "10.20.3.44", "198.51.100.77", "every 6"},
			{"c2.beacon", "10.20.3.45", "198.51.100.78", ""},
		},
		never: []forbid{{rule: "c2.beacon", dst: "203.0.113."}},
	},
	"c2/synth-ioc-dns-http-tls-sni.pcap": {
		want: []expect{
			{"ioc.domain", "10.20.3.62", "", "(dns query)"},
			{"ioc.domain", "10.20.3.62", "203.0.113.66", "(http host)"},
			{"ioc.domain", "10.20.3.62", "203.0.113.91", "pool.supportxmr.com (tls sni)"},
			{"ioc.domain", "10.20.3.62", "203.0.113.99", "c2.medshield-test.example (tls sni)"},
		},
	},
	"scan-lateral/chrissanders-nmap-synscan.pcapng": {
		want: []expect{{"scan.vertical", "172.16.0.8", "64.13.134.52", ""}},
	},
	"scan-lateral/ndpi-tcp-scan-small.pcapng": {
		want: []expect{
			{"scan.stealth", "192.168.1.178", "192.168.1.2", "NULL"},
			{"scan.stealth", "192.168.1.178", "192.168.1.2", "FIN"},
			{"scan.stealth", "192.168.1.178", "192.168.1.2", "XMAS"},
		},
	},
	"scan-lateral/synth-lateral-fanout-smb-rdp-winrm.pcap": {
		want: []expect{
			{"lateral.fanout", "10.20.3.66", "", "port 445"},
			{"lateral.fanout", "10.20.3.66", "", "port 3389"},
			{"lateral.fanout", "10.20.3.66", "", "port 5985"},
			{"smb.v1-in-use", "10.20.3.66", "10.20.4.1", ""},
			{"smb.v1-in-use", "10.20.3.66", "10.20.4.4", ""},
		},
	},
	"scan-lateral/pcapattack-psexec-smb-svcctl.pcapng": {
		want: []expect{
			{"lateral.psexec", "172.16.66.1", "172.16.66.36", "PSEXESVC"},
			{"lateral.remote-service", "172.16.66.1", "172.16.66.36", ""},
		},
	},
	"scan-lateral/pcapattack-smbexec-svcctl.pcapng": {
		want: []expect{{"lateral.remote-service", "172.16.66.1", "172.16.66.36", ""}},
	},
	"scan-lateral/pcapattack-rdp-sharprdp.pcapng": {
		want: []expect{{"lateral.rdp-sessions", "192.168.56.1", "192.168.56.101", ""}},
	},
	"scan-lateral/elcabezzonn-winrm-psremote.pcap": {
		want: []expect{{"lateral.winrm", "192.168.1.195", "192.168.1.46", "/wsman"}},
	},
	"medical/synth-hl7-mllp-internal-and-outbound.pcap": {
		want:  []expect{{"phi.hl7-outbound", "10.20.5.21", "203.0.113.50", "ADT^A04"}},
		never: []forbid{{rule: "phi.", dst: "10.20.7.30"}},
	},
	"medical/synth-dicom-echo-and-cstore-outbound.pcap": {
		want: []expect{{"phi.dicom-outbound", "10.20.9.15", "198.51.100.20", "PatientName"}},
	},
	"medical/synth-http-cn-pii-outbound.pcap": {
		want: []expect{{"phi.http-outbound", "10.20.3.50", "203.0.113.80", "cn_resident_id=3 cn_mobile=3 bank_card=3"}},
	},
	"medical/synth-http-pii-negative-control.pcap": {never: anyAlert},
	"exfil/synth-large-upload-tls-40MiB-snaplen96.pcap": {
		// 40 MiB of payload: only original-length accounting gets past 40 MiB.
		want: []expect{{"exfil.large-outbound", "10.20.3.50", "203.0.113.200", "sent 4"}},
	},
	"benign/chrissanders-http-google.pcapng":      {never: anyAlert},
	"benign/ndpi-sslv2-hello-no-sni.pcap":         {never: anyAlert},
	"benign/ndpi-tls-esni-and-sni.pcap":           {never: anyAlert},
	"benign/ndpi-windowsupdate-http-ip-host.pcap": {never: anyAlert},
	"benign/ndpi-rdp-linktype-null.pcap":          {never: anyAlert},
	"benign/ndpi-tls-1.1.1.1-linktype-sll.pcap":   {never: anyAlert},
}

func loadCorpusIOCs(t *testing.T, dir string) *ioc.Set {
	t.Helper()
	set := ioc.NewSet()
	files, err := filepath.Glob(filepath.Join(dir, "iocs", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no indicator feeds in %s/iocs", dir)
	}
	for _, f := range files {
		if _, err := set.LoadFile(f); err != nil {
			t.Fatalf("load %s: %v", f, err)
		}
	}
	return set
}

// iocColumn splits the ioc_hits column ("a (DNS,SNI), b, c:3333") into
// indicators, ignoring the parenthesised notes.
func iocColumn(s string) []string {
	if s == "-" || s == "" {
		return nil
	}
	var out []string
	depth, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' && depth == 0 {
			if f := strings.Fields(s[start:i]); len(f) > 0 {
				out = append(out, f[0])
			}
			start = i + 1
			continue
		}
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		}
	}
	return out
}

func alertLine(a event.Event) string {
	return a.Rule.ID + " " + a.Source.IP + " -> " + a.Destination.IP + ": " + a.Message
}

// related reports whether a reported indicator is the listed one, a
// parent or child domain of it, or the same address with a port.
func related(reported, listed string) bool {
	host := func(s string) string {
		if i := strings.LastIndexByte(s, ':'); i > 0 && strings.Count(s, ":") == 1 {
			return s[:i]
		}
		return s
	}
	r, l := host(reported), host(listed)
	return reported == listed || r == l || strings.HasSuffix(r, "."+l) || strings.HasSuffix(l, "."+r) ||
		strings.Contains(r, "/") && strings.HasPrefix(r, l+"/")
}

// TestCorpusLabels runs every capture listed in LABELS.tsv with the corpus
// indicator feeds loaded and checks its labelled behaviour.
func TestCorpusLabels(t *testing.T) {
	dir := corpus.Dir(t, "pcap")
	data, err := os.ReadFile(filepath.Join(dir, "LABELS.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	set := loadCorpusIOCs(t, dir)
	rows := strings.Split(strings.TrimSpace(string(data)), "\n")[1:]
	seen := map[string]bool{}
	for _, row := range rows {
		col := strings.Split(row, "\t")
		if len(col) < 11 {
			t.Fatalf("LABELS row with %d columns: %q", len(col), row)
		}
		file := col[0]
		seen[file] = true
		t.Run(file, func(t *testing.T) {
			lab, ok := labelled[file]
			if !ok {
				t.Fatalf("LABELS row %s has no assertions in this test; add them", file)
			}
			s, err := netsense.New(netsense.Options{IOC: set, Detectors: detect.All()})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RunFile(context.Background(), filepath.Join(dir, file)); err != nil {
				t.Fatalf("run: %v", err)
			}
			alerts := s.Alerts()
			var lines []string
			for _, a := range alerts {
				lines = append(lines, alertLine(a))
				if err := a.Validate(); err != nil {
					t.Errorf("alert does not validate: %v", err)
				}
			}
			report := "\n  " + strings.Join(lines, "\n  ")
			for _, w := range lab.want {
				found := false
				for _, a := range alerts {
					if a.Rule.ID == w.rule && (w.src == "" || a.Source.IP == w.src) && (w.dst == "" || a.Destination.IP == w.dst) &&
						strings.Contains(a.Message, w.text) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing %s %s -> %s %q; got:%s", w.rule, w.src, w.dst, w.text, report)
				}
			}
			for _, n := range lab.never {
				for _, a := range alerts {
					if strings.HasPrefix(a.Rule.ID, n.rule) && strings.HasPrefix(a.Source.IP, n.src) && strings.HasPrefix(a.Destination.IP, n.dst) {
						t.Errorf("must not report %+v, got %s", n, alertLine(a))
					}
				}
			}
			listed := iocColumn(col[8])
			var reported []string
			for _, a := range alerts {
				if strings.HasPrefix(a.Rule.ID, "ioc.") {
					ind, _ := a.Fields["threat.indicator"].(string)
					reported = append(reported, ind)
				}
			}
			for _, l := range listed {
				ok := false
				for _, r := range reported {
					ok = ok || related(r, l)
				}
				if !ok {
					t.Errorf("indicator %s (ioc_hits column) not reported; got:%s", l, report)
				}
			}
			for _, r := range reported {
				ok := false
				for _, l := range listed {
					ok = ok || related(r, l)
				}
				if !ok {
					t.Errorf("indicator %s reported but not in the ioc_hits column", r)
				}
			}
		})
	}
	for file := range labelled {
		if !seen[file] {
			t.Errorf("assertions for %s, which LABELS.tsv does not list", file)
		}
	}
}

// TestCorpusNoCrash runs every capture under pcap/ (listed or not).
func TestCorpusNoCrash(t *testing.T) {
	dir := corpus.Dir(t, "pcap")
	files, err := netsense.CaptureFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d captures found in %s", len(files), dir)
	}
	for _, f := range files {
		s, _ := netsense.New(netsense.Options{Detectors: detect.All()})
		if err := s.RunFile(context.Background(), f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
