package ioc

import (
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

// TestCorpusFeedsLoadCleanly loads the four feed formats of the pcap corpus
// (same indicators, different layouts) and checks what each must contain.
func TestCorpusFeedsLoadCleanly(t *testing.T) {
	dir := corpus.Dir(t, "pcap/iocs")
	tests := []struct {
		file   string
		format Format
		probes []probe
	}{
		{"medshield-test-trails.txt", FormatList, []probe{
			{kind: "domain", value: "www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com", want: true},
			{kind: "domain", value: "l.7.ns.ostrykebs.pl", want: true},
			{kind: "ipport", value: "94.23.199.191:3333", want: true},
			{kind: "ip", value: "184.170.149.44", want: true},
			{kind: "ipport", value: "198.51.100.78:8443", want: true},
			{kind: "ip", value: "198.51.100.78", want: false},
		}},
		{"threatfox-style.csv", FormatCSV, []probe{
			{kind: "domain", value: "db54a845.top", want: true, threat: "Foudre"},
			{kind: "url", value: "http://homealldaylong.com/76N1Lm.php?x=1", want: true},
			{kind: "ipport", value: "82.118.225.196:7080", want: true},
		}},
		{"feodo-style-ipblocklist.csv", FormatCSV, []probe{
			{kind: "ipport", value: "185.56.137.138:80", want: true, threat: "Foudre"},
		}},
		{"stix21-bundle.json", FormatSTIX, []probe{
			{kind: "domain", value: "pool.supportxmr.com", want: true},
			{kind: "ip", value: "185.56.137.138", want: true},
			{kind: "ip", value: "82.118.225.196", want: true},
			{kind: "ipport", value: "198.51.100.77:80", want: true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s := NewSet()
			st, err := s.LoadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if st.Format != tc.format || st.Added == 0 {
				t.Fatalf("stats %+v, want format %v and indicators", st, tc.format)
			}
			for _, p := range tc.probes {
				m, ok := lookup(s, p)
				if ok != p.want || ok && p.threat != "" && m.Threat != p.threat {
					t.Errorf("%s %q: got %+v %v, want %v %q", p.kind, p.value, m, ok, p.want, p.threat)
				}
			}
		})
	}
}
