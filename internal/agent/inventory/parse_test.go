package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T, fixture, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", fixture, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseOSRelease(t *testing.T) {
	for _, tc := range []struct {
		fixture, name, version, id, pretty string
	}{
		{"debian-amd64", "Debian GNU/Linux", "12", "debian", "Debian GNU/Linux 12 (bookworm)"},
		{"kylin-loong64", "Kylin Linux Advanced Server", "V10", "kylin", "Kylin Linux Advanced Server V10 (Lance)"},
	} {
		m, err := ParseOSRelease(open(t, tc.fixture, "etc/os-release"))
		if err != nil {
			t.Fatal(err)
		}
		if m["NAME"] != tc.name || m["VERSION_ID"] != tc.version || m["ID"] != tc.id || m["PRETTY_NAME"] != tc.pretty {
			t.Errorf("%s: got %q %q %q %q", tc.fixture, m["NAME"], m["VERSION_ID"], m["ID"], m["PRETTY_NAME"])
		}
	}
	m, _ := ParseOSRelease(strings.NewReader("# c\nA=\"x \\\"y\\\" \\$z\"\nB=bare\n=novalue\nnoequals\n"))
	if m["A"] != `x "y" $z` || m["B"] != "bare" || len(m) != 2 {
		t.Errorf("quoting: %q", m)
	}
}

func TestParseCPUInfo(t *testing.T) {
	for _, tc := range []struct {
		fixture, model string
		count          int
	}{
		{"debian-amd64", "AMD EPYC", 2},
		{"raspbian-arm64", "Raspberry Pi 4 Model B Rev 1.1", 4},
		{"kylin-loong64", "Loongson-3A5000", 4},
	} {
		ci, err := ParseCPUInfo(open(t, tc.fixture, "proc/cpuinfo"))
		if err != nil || ci.Model != tc.model || ci.Count != tc.count {
			t.Errorf("%s: got %+v, %v; want %q x%d", tc.fixture, ci, err, tc.model, tc.count)
		}
	}
	ci, _ := ParseCPUInfo(strings.NewReader("processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n"))
	if ci.Model != "implementer 0x41 part 0xd0c" {
		t.Errorf("bare Arm cpuinfo: %q", ci.Model)
	}
}

func TestParseMemTotal(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    uint64
	}{
		{"debian-amd64", 24684092 * 1024},
		{"raspbian-arm64", 3884360 * 1024},
		{"kylin-loong64", 16177536 * 1024},
	} {
		got, err := ParseMemTotal(open(t, tc.fixture, "proc/meminfo"))
		if err != nil || got != tc.want {
			t.Errorf("%s: %d, %v; want %d", tc.fixture, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "MemFree: 1 kB\n", "MemTotal: lots kB\n"} {
		if _, err := ParseMemTotal(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}

func TestParseBootTime(t *testing.T) {
	got, err := ParseBootTime(open(t, "raspbian-arm64", "proc/stat"))
	if err != nil || !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := ParseBootTime(strings.NewReader("cpu 1 2 3\nbtime x\n")); err == nil {
		t.Error("want error without a valid btime")
	}
}

func TestParseLoginUsers(t *testing.T) {
	shells, err := ParseShells(open(t, "debian-amd64", "etc/shells"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		shells map[string]bool
		want   []string
	}{
		// radiology's /usr/bin/zsh is not in /etc/shells; svc has /bin/false;
		// sync has /bin/sync; the comment and malformed lines are skipped.
		{"with /etc/shells", shells, []string{"root", "postgres", "nurse1"}},
		{"without /etc/shells", nil, []string{"root", "postgres", "nurse1", "radiology"}},
	} {
		got, err := ParseLoginUsers(open(t, "debian-amd64", "etc/passwd"), tc.shells)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
