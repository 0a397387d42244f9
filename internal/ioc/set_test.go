package ioc

import (
	"net/netip"
	"testing"
)

func TestCIDRReportsMostSpecificNetwork(t *testing.T) {
	s := NewSet()
	for _, v := range []string{"10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "::ffff:192.0.2.0/120"} {
		if err := s.Add(Indicator{Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ ip, want string }{
		{"10.1.2.3", "10.1.0.0/16"},
		{"10.2.2.3", "10.0.0.0/8"},
		{"2001:db8::1", "2001:db8::/32"},
		{"192.0.2.7", "192.0.2.0/24"},
		{"::ffff:10.1.0.1", "10.1.0.0/16"},
		{"11.0.0.1", ""},
	}
	for _, tc := range tests {
		m, ok := s.LookupIP(netip.MustParseAddr(tc.ip))
		if got := m.Indicator; ok != (tc.want != "") || got != tc.want {
			t.Errorf("LookupIP(%s) = %q %v, want %q", tc.ip, got, ok, tc.want)
		}
	}
}

func TestDomainParentMatchingIsLabelWise(t *testing.T) {
	s := NewSet()
	if err := s.Add(Indicator{Kind: KindDomain, Value: "*.Evil.Example."}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want bool
	}{
		{"evil.example", true},
		{"A.B.EVIL.EXAMPLE", true},
		{"notevil.example", false}, // suffix but not a label boundary
		{"evil.example.com", false},
		{"", false},
		{"..", false},
	}
	for _, tc := range tests {
		if _, ok := s.LookupDomain(tc.name); ok != tc.want {
			t.Errorf("LookupDomain(%q) = %v, want %v", tc.name, ok, tc.want)
		}
	}
}

func TestDuplicatesKeepFirstThreat(t *testing.T) {
	s := NewSet()
	_ = s.Add(Indicator{Value: "1.2.3.4", Threat: "first"})
	_ = s.Add(Indicator{Value: "1.2.3.4", Threat: "second"})
	if s.Len() != 1 || s.Duplicates() != 1 {
		t.Fatalf("len %d dups %d", s.Len(), s.Duplicates())
	}
	m, _ := s.LookupIP(netip.MustParseAddr("1.2.3.4"))
	if m.Threat != "first" {
		t.Errorf("threat %q", m.Threat)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
	}{
		{"d41d8cd98f00b204e9800998ecf8427e", KindMD5},
		{"1.2.3.4", KindIP},
		{"2001:db8::1", KindIP},
		{"10.0.0.0/8", KindCIDR},
		{"[2001:db8::1]:443", KindIPPort},
		{"evil.example", KindDomain},
		{"evil.example/path", KindURL},
		{"hxxp://x", KindURL},
		{"t13d1516h2_8daaf6152771_b186095e22b6", KindJA4},
		{"localhost", KindUnknown},
		{"bad value", KindUnknown},
		{"", KindUnknown},
	}
	for _, tc := range tests {
		if got := Classify(tc.in); got != tc.want {
			t.Errorf("Classify(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
