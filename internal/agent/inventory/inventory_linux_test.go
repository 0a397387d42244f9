package inventory

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func fakeInterfaces() ([]Interface, error) {
	return []Interface{
		{Name: "lo", Addrs: []string{"127.0.0.1", "::1"}, Loopback: true},
		{Name: "eth0", MAC: "52:54:00:12:34:56", Addrs: []string{"10.3.0.17", "fe80::5054:ff:fe12:3456"}},
		{Name: "wlan0", MAC: "52:54:00:ab:cd:ef", Addrs: []string{"10.3.0.17"}},
	}, nil
}

func TestCollectOnRecordedLinuxHosts(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    Inventory // compared on the fields set here
	}{
		{"debian-amd64", Inventory{OSName: "Debian GNU/Linux", OSVersion: "12", OSPlatform: "debian",
			Kernel: "6.18.44-fc-v657", CPUModel: "AMD EPYC", CPUCount: 2, MemoryBytes: 24684092 * 1024,
			Users: []string{"root", "postgres", "nurse1"}}},
		{"raspbian-arm64", Inventory{OSName: "Debian GNU/Linux", OSVersion: "12", OSPlatform: "debian",
			Kernel: "6.1.0-rpi7-rpi-v8", CPUModel: "Raspberry Pi 4 Model B Rev 1.1", CPUCount: 4,
			MemoryBytes: 3884360 * 1024, BootTime: time.Unix(1700000000, 0).UTC(), Users: []string{"root", "pi"}}},
		{"kylin-loong64", Inventory{OSName: "Kylin Linux Advanced Server", OSVersion: "V10", OSPlatform: "kylin",
			Kernel: "4.19.90-52.22.v2207.ky10.loongarch64", CPUModel: "Loongson-3A5000", CPUCount: 4,
			MemoryBytes: 16177536 * 1024, BootTime: time.Unix(1764000000, 0).UTC(), Users: []string{"root", "his"}}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			inv, err := Collect(context.Background(), Options{Root: filepath.Join("testdata", tc.fixture), Interfaces: fakeInterfaces})
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Errors) != 0 {
				t.Errorf("errors: %q", inv.Errors)
			}
			w := tc.want
			got := Inventory{OSName: inv.OSName, OSVersion: inv.OSVersion, OSPlatform: inv.OSPlatform, Kernel: inv.Kernel,
				CPUModel: inv.CPUModel, CPUCount: inv.CPUCount, MemoryBytes: inv.MemoryBytes, Users: inv.Users}
			if !w.BootTime.IsZero() {
				got.BootTime = inv.BootTime
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
			wantIPs := []string{"10.3.0.17", "fe80::5054:ff:fe12:3456"}
			wantMACs := []string{"52:54:00:12:34:56", "52:54:00:ab:cd:ef"}
			if !reflect.DeepEqual(inv.IPs, wantIPs) || !reflect.DeepEqual(inv.MACs, wantMACs) {
				t.Errorf("addresses %q %q", inv.IPs, inv.MACs)
			}
		})
	}
}

func TestCollectReportsMissingSourcesWithoutFailing(t *testing.T) {
	inv, err := Collect(context.Background(), Options{Root: t.TempDir(), Interfaces: func() ([]Interface, error) {
		return nil, errors.New("netlink refused")
	}})
	if err != nil {
		t.Fatal(err)
	}
	// os-release, meminfo, cpuinfo, stat, passwd and the interfaces.
	if len(inv.Errors) != 6 || inv.Hostname == "" || inv.Kernel == "" {
		t.Errorf("got %d errors %q, hostname %q, kernel %q", len(inv.Errors), inv.Errors, inv.Hostname, inv.Kernel)
	}
}

func TestCollectThisHost(t *testing.T) {
	inv, err := Collect(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if inv.OSName == "" || inv.Kernel == "" || inv.CPUCount < 1 || inv.MemoryBytes == 0 || inv.BootTime.IsZero() {
		t.Errorf("incomplete inventory of this host: %+v", inv)
	}
}
