package posture

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/internal/wire"
)

// roundTrip sends an event through the agent→server wire format with the
// server's default limits and returns what the server decodes.
func roundTrip(t *testing.T, ev event.Event) event.Event {
	t.Helper()
	body, err := wire.Encode([]event.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	got, err := wire.DecodeBytes(body, wire.DefaultLimits())
	if err != nil {
		t.Fatalf("server refuses the event: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("decoded %d events", len(got))
	}
	return got[0]
}

func TestCollectRecordedDpkg(t *testing.T) {
	dir := corpus.Dir(t, "vuln/inventory")
	opts := inventory.Options{
		OnlyExplicit: true, NoLive: true,
		DpkgStatus: filepath.Join(dir, "dpkg-status-debian12-bookworm"),
		OSRelease:  filepath.Join(dir, "os-release-debian12"),
	}
	want, err := inventory.Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != event.KindState || ev.Dataset != DatasetPackages || ev.Fields["os.ecosystem"] != "Debian:12" {
		t.Fatalf("event header: kind %q dataset %q eco %v", ev.Kind, ev.Dataset, ev.Fields["os.ecosystem"])
	}
	got, err := Inventory(roundTrip(t, ev))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Packages) != len(want.Packages) || len(want.Packages) < 700 {
		t.Fatalf("packages: got %d, collected %d", len(got.Packages), len(want.Packages))
	}
	for i, w := range want.Packages {
		g := got.Packages[i]
		wn, wv := w.Source()
		gn, gv := g.Source()
		if g.Name != w.Name || g.Version != w.Version || gn != wn || gv != wv || g.Ecosystem != w.Ecosystem || g.Manager != w.Manager {
			t.Fatalf("package %d: got %+v, want %+v", i, g, w)
		}
	}
	if got.OS.Ecosystem() != "Debian:12" || got.OS.PrettyName != want.OS.PrettyName {
		t.Errorf("os: %+v", got.OS)
	}
	// binNMU: the advisory-relevant source version survives the trip.
	for _, p := range got.Packages {
		if p.Name == "bash" && (p.Version != "5.2.15-2+b8" || p.SourceVersion != "5.2.15-2") {
			t.Errorf("bash: %+v", p)
		}
	}
}

func TestCollectRecordedWindows(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "vuln", "inventory", "testdata", "win7-sp1-unpatched.reg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reg, err := inventory.ParseRegFile(f)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Collect(context.Background(), inventory.Options{OnlyExplicit: true, NoLive: true, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	ev = roundTrip(t, ev)
	inv, err := Inventory(ev)
	if err != nil {
		t.Fatal(err)
	}
	if inv.OS.Family != "windows" || inv.OS.MajorMinor != "6.1" {
		t.Fatalf("os: %+v", inv.OS)
	}
	if ev.Fields["smb1.server"] != "vulnerable" {
		t.Errorf("smb1.server = %v (%v)", ev.Fields["smb1.server"], ev.Fields["smb1.reason"])
	}
	for _, p := range inv.Packages {
		if p.Ecosystem != "" {
			t.Errorf("windows program %q got ecosystem %q", p.Name, p.Ecosystem)
		}
	}
}

func synthetic(n int) inventory.Inventory {
	inv := inventory.Inventory{Host: "pacs-01", OS: inventory.OS{Family: "linux", ID: "debian", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)"}}
	for i := 0; i < n; i++ {
		// Realistic lengths: long library names with source packages and
		// Debian revisions.
		inv.Packages = append(inv.Packages, inventory.Package{
			Name: fmt.Sprintf("libreoffice-help-component-%05d", i), Version: fmt.Sprintf("4:7.4.7-1+deb12u%d+b1", i%9),
			SourceName: fmt.Sprintf("libreoffice-source-%05d", i), SourceVersion: fmt.Sprintf("4:7.4.7-1+deb12u%d", i%9),
			Manager: inventory.Dpkg, Arch: "amd64",
		})
	}
	inv.SetEcosystem()
	return inv
}

func TestEventSizeLimits(t *testing.T) {
	for _, tc := range []struct {
		packages  int
		truncated bool
	}{
		{2000, false},
		{5000, false},
		{40000, true}, // far beyond any real host: must still go through
	} {
		t.Run(fmt.Sprint(tc.packages), func(t *testing.T) {
			ev, err := Event(synthetic(tc.packages), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ev.Fields) > 16 {
				t.Errorf("%d fields entries: packages must be list-valued", len(ev.Fields))
			}
			back := roundTrip(t, ev)
			inv, err := Inventory(back)
			if err != nil {
				t.Fatal(err)
			}
			warned := strings.Contains(strings.Join(inv.Warnings, "\n"), "inventory truncated")
			if tc.truncated != warned || tc.truncated != (len(inv.Packages) < tc.packages) {
				t.Errorf("%d of %d packages arrived, truncation warning %v", len(inv.Packages), tc.packages, warned)
			}
			if IntField(back, "packages.count") != len(inv.Packages) {
				t.Errorf("packages.count %v, %d decoded", back.Fields["packages.count"], len(inv.Packages))
			}
			b, _ := json.Marshal(&back)
			if len(b) >= 1<<20 || (tc.truncated && len(b) < 800<<10) {
				t.Errorf("event is %d bytes: want < 1 MiB, and near the budget when truncated", len(b))
			}
		})
	}
}

func TestInventoryRejectsOtherDatasets(t *testing.T) {
	ev := event.New(event.KindState, "host.inventory", "x")
	if _, err := Inventory(ev); err == nil {
		t.Error("no error for a host.inventory event")
	}
	ev = event.New(event.KindState, DatasetPackages, "x")
	ev.Fields = map[string]any{"packages": []any{"too\tfew", 7, "a\t1\t\t\tdpkg"}, "os": "not an object"}
	if _, err := Inventory(ev); err == nil {
		t.Error("no error for a malformed os field")
	}
	delete(ev.Fields, "os")
	inv, err := Inventory(ev)
	if err != nil || len(inv.Packages) != 1 || inv.Packages[0].SourceName != "a" || len(inv.Warnings) != 1 {
		t.Errorf("inventory %+v, %v", inv, err)
	}
}
