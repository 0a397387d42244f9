package response

import (
	"context"
	"net/netip"
	"slices"
	"testing"
)

func TestServerAddrs(t *testing.T) {
	cases := []struct {
		url     string
		want    []string
		wantErr bool
	}{
		{"https://10.1.2.3:8443", []string{"10.1.2.3:8443"}, false},
		{"https://10.1.2.3", []string{"10.1.2.3:443"}, false},
		{"http://10.1.2.3/api", []string{"10.1.2.3:80"}, false},
		{"https://[fd00::7]:8443/", []string{"[fd00::7]:8443"}, false},
		{"https://[::ffff:10.0.0.1]:1", []string{"10.0.0.1:1"}, false},
		{"10.1.2.3:8443", nil, true},
		{"https://10.1.2.3:99999", nil, true},
		{"", nil, true},
	}
	for _, c := range cases {
		got, err := ServerAddrs(context.Background(), c.url)
		if (err != nil) != c.wantErr {
			t.Errorf("%q: err = %v", c.url, err)
			continue
		}
		var gs []string
		for _, ap := range got {
			gs = append(gs, ap.String())
		}
		if !slices.Equal(gs, c.want) {
			t.Errorf("%q = %v, want %v", c.url, gs, c.want)
		}
	}
	// A name resolves through the system resolver (/etc/hosts here).
	got, err := ServerAddrs(context.Background(), "https://localhost:8443")
	if err != nil || !slices.Contains(got, netip.MustParseAddrPort("127.0.0.1:8443")) {
		t.Errorf("localhost: %v, %v", got, err)
	}
}
