package ioc

import (
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
)

type probe struct {
	kind   string // domain, ip, ipport, url, hash, ja3, ja4
	value  string
	want   bool
	threat string // checked when non-empty
}

func lookup(s *Set, p probe) (Match, bool) {
	switch p.kind {
	case "domain":
		return s.LookupDomain(p.value)
	case "ip":
		return s.LookupIP(netip.MustParseAddr(p.value))
	case "ipport":
		return s.LookupIPPort(netip.MustParseAddrPort(p.value))
	case "url":
		return s.LookupURL(p.value)
	case "hash":
		return s.LookupHash(p.value)
	case "ja3":
		return s.LookupJA3(p.value)
	case "ja4":
		return s.LookupJA4(p.value)
	}
	panic("bad probe kind " + p.kind)
}

func TestLoadFormats(t *testing.T) {
	tests := []struct {
		file     string
		format   Format
		added    int
		errLines []int // lines that must be reported, in order
		skipped  int
		probes   []probe
	}{
		{
			file: "list.txt", format: FormatList, added: 12, errLines: []int{14},
			probes: []probe{
				{kind: "domain", value: "EVIL.example.", want: true, threat: "test malware family"},
				{kind: "domain", value: "deep.sub.evil.example", want: true},
				{kind: "domain", value: "notevil.example", want: false},
				{kind: "domain", value: "example", want: false},
				{kind: "ip", value: "1.2.3.4", want: true},
				{kind: "ip", value: "10.200.3.4", want: true},
				{kind: "ip", value: "11.0.0.1", want: false},
				{kind: "ipport", value: "5.6.7.8:8080", want: true},
				{kind: "ipport", value: "5.6.7.8:8081", want: false},
				{kind: "url", value: "https://BAD.example/gate.php?id=1", want: true},
				{kind: "url", value: "http://bad.example/other.php", want: false},
				{kind: "hash", value: "D41D8CD98F00B204E9800998ECF8427E", want: true},
				{kind: "hash", value: "da39a3ee5e6b4b0d3255bfef95601890afd80709", want: true},
				{kind: "hash", value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want: true},
				{kind: "ja3", value: "e7d705a3286e19ea42f587b344ee6865", want: true},
				{kind: "ja3", value: "d41d8cd98f00b204e9800998ecf8427e", want: false},
				{kind: "ja4", value: "t13d1516h2_8daaf6152771_b186095e22b6", want: true},
				{kind: "domain", value: "hosts-style.example", want: true},
				{kind: "domain", value: "trail.example", want: true, threat: "maltrail info"},
			},
		},
		{
			file: "threatfox.csv", format: FormatCSV, added: 2, errLines: []int{5}, skipped: 1,
			probes: []probe{
				{kind: "domain", value: "tf.example", want: true, threat: "FamilyX"},
				{kind: "ipport", value: "9.9.9.9:443", want: true},
				{kind: "ip", value: "9.9.9.9", want: false},
			},
		},
		{
			file: "feodo.csv", format: FormatCSV, added: 1,
			probes: []probe{{kind: "ipport", value: "82.118.225.196:7080", want: true, threat: "Emotet"}},
		},
		{
			file: "sslbl-ja3.csv", format: FormatCSV, added: 2,
			probes: []probe{{kind: "ja3", value: "b386946a5a44d1ddcc843bc75336dfce", want: true, threat: "Dridex"},
				{kind: "hash", value: "b386946a5a44d1ddcc843bc75336dfce", want: false}},
		},
		{
			file: "urlhaus.csv", format: FormatCSV, added: 2,
			probes: []probe{{kind: "url", value: "http://198.51.100.4/bins/mozi.m", want: true, threat: "malware_download"},
				{kind: "url", value: "http://files.bad.example/a/b.exe", want: true}},
		},
		{
			file: "bazaar.csv", format: FormatCSV, added: 3,
			probes: []probe{{kind: "hash", value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want: true, threat: "AgentTesla"},
				{kind: "hash", value: "d41d8cd98f00b204e9800998ecf8427e", want: true},
				{kind: "hash", value: "da39a3ee5e6b4b0d3255bfef95601890afd80709", want: true}},
		},
		{
			file: "bundle.stix.json", format: FormatSTIX, added: 7, errLines: []int{11}, skipped: 1,
			probes: []probe{
				{kind: "domain", value: "stix.example", want: true, threat: "d"},
				{kind: "url", value: "http://stix.example/ping", want: true},
				{kind: "ipport", value: "198.51.100.77:80", want: true},
				{kind: "ip", value: "198.51.100.77", want: false},
				{kind: "ip", value: "82.118.225.9", want: true},
				{kind: "hash", value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want: true},
				{kind: "domain", value: "b.example", want: true},
				{kind: "domain", value: "x.example", want: false},
			},
		},
		{
			file: "event.misp.json", format: FormatMISP, added: 4, errLines: []int{0}, skipped: 1,
			probes: []probe{
				{kind: "domain", value: "misp.example", want: true, threat: "Test campaign"},
				{kind: "ipport", value: "203.0.113.5:4444", want: true},
				{kind: "hash", value: "d41d8cd98f00b204e9800998ecf8427e", want: true},
				{kind: "domain", value: "not-for-ids.example", want: false},
				{kind: "url", value: "http://obj.example/a", want: true},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s := NewSet()
			st, err := s.LoadFile(filepath.Join("testdata", tc.file))
			var el *ErrorList
			if err != nil && !errors.As(err, &el) {
				t.Fatalf("load: %v", err)
			}
			if st.Format != tc.format {
				t.Errorf("format = %v, want %v", st.Format, tc.format)
			}
			if st.Added != tc.added || st.Skipped != tc.skipped {
				t.Errorf("added %d skipped %d, want %d and %d", st.Added, st.Skipped, tc.added, tc.skipped)
			}
			var got []int
			if el != nil {
				for _, e := range el.Errs {
					got = append(got, e.Line)
					if !strings.HasPrefix(e.Error(), tc.file+":") {
						t.Errorf("error %q lacks the file name", e)
					}
				}
			}
			if len(tc.errLines) == 1 && tc.errLines[0] == 0 { // MISP: just one error expected
				if len(got) != 1 {
					t.Errorf("errors = %v, want one", err)
				}
			} else if fmtInts(got) != fmtInts(tc.errLines) {
				t.Errorf("error lines = %v, want %v (%v)", got, tc.errLines, err)
			}
			for _, p := range tc.probes {
				m, ok := lookup(s, p)
				if ok != p.want {
					t.Errorf("%s %q: matched %v, want %v", p.kind, p.value, ok, p.want)
				}
				if ok && p.threat != "" && m.Threat != p.threat {
					t.Errorf("%s %q: threat %q, want %q", p.kind, p.value, m.Threat, p.threat)
				}
			}
		})
	}
}

func fmtInts(v []int) string {
	var b strings.Builder
	for i, n := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(itoa(n))
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for n > 0 {
		d = append([]byte{byte('0' + n%10)}, d...)
		n /= 10
	}
	return string(d)
}

func TestDetectFormatIgnoresFileName(t *testing.T) {
	tests := []struct {
		in   string
		want Format
	}{
		{"evil.example\n1.2.3.4\n", FormatList},
		{"# comment\n\n1.2.3.4\n", FormatList},
		{`"first_seen_utc","dst_ip","dst_port"` + "\n", FormatCSV},
		{"# id,dateadded,url,url_status\n\"1\",\"2024\",\"http://x/\",\"online\"\n", FormatCSV},
		{"\ufeff{\"type\":\"bundle\",\"objects\":[]}", FormatSTIX},
		{`{"Event":{"Attribute":[]}}`, FormatMISP},
		{`{"hello":1}`, FormatUnknown},
	}
	for _, tc := range tests {
		if got := DetectFormat([]byte(tc.in)); got != tc.want {
			t.Errorf("DetectFormat(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestOverlongLineIsReportedAndSkipped(t *testing.T) {
	in := "a.example\n" + strings.Repeat("x", MaxLineLen+10) + "\nb.example\n"
	s := NewSet()
	st, err := s.Load(strings.NewReader(in), "long.txt")
	var el *ErrorList
	if !errors.As(err, &el) || len(el.Errs) != 1 || el.Errs[0].Line != 2 {
		t.Fatalf("err = %v, want one error on line 2", err)
	}
	if st.Added != 2 {
		t.Errorf("added %d, want 2", st.Added)
	}
}

func TestErrorListIsCapped(t *testing.T) {
	in := strings.Repeat("bad!value\n", maxErrors+5)
	_, err := NewSet().Load(strings.NewReader(in), "bad.txt")
	var el *ErrorList
	if !errors.As(err, &el) {
		t.Fatalf("err = %v", err)
	}
	if len(el.Errs) != maxErrors || el.Dropped != 5 {
		t.Errorf("kept %d dropped %d", len(el.Errs), el.Dropped)
	}
	if !strings.Contains(el.Error(), "and 995 more errors") {
		t.Errorf("summary: %q", el.Error()[len(el.Error())-40:])
	}
}
