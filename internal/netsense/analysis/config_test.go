package analysis

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultsRoundTripThroughYAML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sensor.yaml")
	if err := os.WriteFile(p, DefaultsYAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Defaults()) {
		t.Errorf("defaults do not survive YAML:\n%s", DefaultsYAML())
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{"scan:\n  vertical_portz: 5\n", "field vertical_portz not found"},
		{"dns:\n  window: soon\n", "line 2"},
		{"exfil:\n  outbound_bytes: 1048576\n", ""},
	}
	for _, tc := range tests {
		p := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(p, []byte(tc.yaml), 0o600)
		c, err := LoadConfig(p)
		if tc.want == "" {
			if err != nil || c.Exfil.Bytes != 1<<20 || c.Scan.VerticalPorts != Defaults().Scan.VerticalPorts {
				t.Errorf("%q: %v %+v", tc.yaml, err, c.Exfil)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
