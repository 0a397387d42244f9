package posture_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/posture"
	"github.com/medshield/medshield/internal/posture/posturetest"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/vuln/inventory"
)

const (
	critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" // 9.8
	high     = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" // 7.5
)

// records: installed (corpus) openssl source 3.0.19-1~deb12u2 and bash
// 5.2.15-2+b8 built from source 5.2.15-2.
var records = []posturetest.Record{
	{ID: "DSA-9001-1", CVE: "CVE-2099-0001", Ecosystem: "Debian:12", Package: "openssl", Fixed: "3.0.20-1~deb12u1", CVSS: critical},
	// Fixed in exactly the installed source version: the binNMU suffix
	// of the binary version must not make it look older.
	{ID: "DLA-9002-1", CVE: "CVE-2099-0002", Ecosystem: "Debian:12", Package: "bash", Fixed: "5.2.15-2", CVSS: high},
	{ID: "DSA-9003-1", CVE: "CVE-2099-0003", Ecosystem: "Debian:12", Package: "bash", Fixed: "5.2.15-3", CVSS: high},
	// Another release: never applies to a Debian 12 host.
	{ID: "DSA-9004-1", CVE: "CVE-2099-0004", Ecosystem: "Debian:11", Package: "openssl", Fixed: "9.9.9-1", CVSS: critical},
	// The binary name is not what Debian advisories name.
	{ID: "DSA-9005-1", CVE: "CVE-2099-0005", Ecosystem: "Debian:12", Package: "libssl3", Fixed: "9.9.9-1", CVSS: critical},
}

func debianEvent(t *testing.T, ts time.Time, edit func(string) string) event.Event {
	t.Helper()
	dir := corpus.Dir(t, "vuln/inventory")
	ev, err := posture.Collect(context.Background(), inventory.Options{OnlyExplicit: true, NoLive: true,
		DpkgStatus: filepath.Join(dir, "dpkg-status-debian12-bookworm"), OSRelease: filepath.Join(dir, "os-release-debian12")})
	if err != nil {
		t.Fatal(err)
	}
	ev.Timestamp = ts
	if edit != nil {
		lines := ev.Fields["packages"].([]string)
		for i := range lines {
			lines[i] = edit(lines[i])
		}
	}
	return ev
}

func query(t *testing.T, s *servertest.Server, host, dataset string, fields map[string]string) []event.Event {
	t.Helper()
	f := map[string]string{"event.dataset": dataset}
	for k, v := range fields {
		f[k] = v
	}
	page, err := s.Store.QueryEvents(context.Background(), store.EventQuery{Kind: event.KindState, HostID: host, Fields: f, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return page.Events
}

func byRule(evs []event.Event) map[string]event.Event {
	m := map[string]event.Event{}
	for _, e := range evs {
		m[e.Rule.ID] = e
	}
	return m
}

func TestDetectorEndToEnd(t *testing.T) {
	data := t.TempDir()
	posturetest.Import(t, data, "debian", records...)
	s, det := posturetest.Start(t, data)
	a := posturetest.Enroll(t, s, "Hospital A", "Radiology", "pacs-01")

	t1 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	inv1 := debianEvent(t, t1, nil)
	a.Post(t, inv1)
	a.Post(t, inv1) // a retried batch must not duplicate findings

	got := byRule(query(t, s, a.ID, posture.DatasetFinding, map[string]string{"inventory.id": inv1.ID}))
	if len(got) != 2 || len(query(t, s, a.ID, posture.DatasetFinding, nil)) != 2 {
		t.Fatalf("findings %v, want exactly CVE-2099-0001 and CVE-2099-0003", keys(got))
	}
	ssl, bash := got["CVE-2099-0001"], got["CVE-2099-0003"]
	if ssl.Severity != event.SeverityCritical || ssl.Fields["source_package"] != "openssl" ||
		ssl.Fields["installed_version"] != "3.0.19-1~deb12u2" || ssl.Fields["fixed_version"] != "3.0.20-1~deb12u1" ||
		ssl.Fields["ecosystem"] != "Debian:12" || ssl.HostID != a.ID || ssl.Organization != "Hospital A" {
		t.Errorf("openssl finding: sev %d host %q org %q %v", ssl.Severity, ssl.HostID, ssl.Organization, ssl.Fields)
	}
	if ids := posture.StringList(ssl.Fields["ids"]); !slices.Equal(ids, []string{"CVE-2099-0001", "DSA-9001-1"}) {
		t.Errorf("ids %v", ids)
	}
	if ex, _ := ssl.Fields["explanation"].(string); !strings.Contains(ex, "fixed in 3.0.20-1~deb12u1") || !strings.Contains(ex, "libssl3") {
		t.Errorf("explanation %q", ex)
	}
	if bash.Severity != event.SeverityHigh || bash.Fields["installed_version"] != "5.2.15-2" || bash.Fields["first_seen"] != t1.Format(time.RFC3339) {
		t.Errorf("bash finding: %d %v", bash.Severity, bash.Fields)
	}
	sums := query(t, s, a.ID, posture.DatasetSummary, nil)
	if len(sums) != 1 {
		t.Fatalf("%d summaries", len(sums))
	}
	sum := sums[0]
	if posture.IntField(sum, "count.critical") != 1 || posture.IntField(sum, "count.high") != 1 || posture.IntField(sum, "findings.count") != 2 ||
		sum.Fields["ms17_010"] != "not-applicable" || sum.Fields["db.missing"] != false || posture.IntField(sum, "db.records") != len(records) {
		t.Errorf("summary %v", sum.Fields)
	}

	// A new advisory is imported: re-matching stores a newer assessment of
	// the same inventory that includes it, carrying first-seen forward.
	posturetest.Import(t, data, "later", posturetest.Record{ID: "DSA-9006-1", CVE: "CVE-2099-0006", Ecosystem: "Debian:12", Package: "curl", Fixed: "7.88.1-10+deb12u15", CVSS: high})
	before := time.Now().UTC().Add(-time.Second)
	if n, err := det.Rematch(context.Background(), s.Store); err != nil || n != 1 {
		t.Fatalf("rematch: %d hosts, %v", n, err)
	}
	after := time.Now().UTC().Add(time.Second)
	sum = newestSummary(t, s, a.ID)
	re := sum.Fields["assessment.id"].(string)
	if re == inv1.ID || sum.Fields["inventory.id"] != inv1.ID || sum.Organization != "Hospital A" {
		t.Fatalf("re-match summary: assessment %q inventory %v org %q", re, sum.Fields["inventory.id"], sum.Organization)
	}
	got = byRule(query(t, s, a.ID, posture.DatasetFinding, map[string]string{"assessment.id": re}))
	if len(got) != 3 || got["CVE-2099-0006"].Rule == nil {
		t.Fatalf("re-match findings %v", keys(got))
	}
	if fs := got["CVE-2099-0001"].Fields["first_seen"]; fs != t1.Format(time.RFC3339) {
		t.Errorf("re-match: openssl first_seen %v, want %s", fs, t1.Format(time.RFC3339))
	}
	curlSeen, err := time.Parse(time.RFC3339, got["CVE-2099-0006"].Fields["first_seen"].(string))
	if err != nil || curlSeen.Before(before.Truncate(time.Second)) || curlSeen.After(after) {
		t.Errorf("re-match: curl first_seen %v not at the re-match (%v)", curlSeen, err)
	}

	// Next inventory: bash upgraded; its finding is reported fixed.
	t2 := time.Now().Add(time.Second).UTC().Truncate(time.Second)
	inv2 := debianEvent(t, t2, func(l string) string {
		if strings.HasPrefix(l, "bash\t") {
			return "bash\t5.2.15-3\t\t\tdpkg"
		}
		return l
	})
	a.Post(t, inv2)
	got = byRule(query(t, s, a.ID, posture.DatasetFinding, map[string]string{"assessment.id": inv2.ID}))
	if len(got) != 2 || got["CVE-2099-0001"].Rule == nil || got["CVE-2099-0006"].Rule == nil {
		t.Fatalf("second inventory findings %v, want CVE-2099-0001 and CVE-2099-0006", keys(got))
	}
	if fs := got["CVE-2099-0001"].Fields["first_seen"]; fs != t1.Format(time.RFC3339) {
		t.Errorf("openssl first_seen %v, want carried forward %s", fs, t1.Format(time.RFC3339))
	}
	if fs := got["CVE-2099-0006"].Fields["first_seen"]; fs != curlSeen.Format(time.RFC3339) {
		t.Errorf("curl first_seen %v, want %s", fs, curlSeen.Format(time.RFC3339))
	}
	sum = newestSummary(t, s, a.ID)
	fixed := posture.StringList(sum.Fields["fixed"])
	want := "CVE-2099-0003\tbash\t" + t1.Format(time.RFC3339) + "\t" + t2.Format(time.RFC3339)
	if sum.Fields["assessment.id"] != inv2.ID || !slices.Equal(fixed, []string{want}) {
		t.Errorf("newest summary %v: fixed %q, want %q", sum.Fields["assessment.id"], fixed, want)
	}
}

func newestSummary(t *testing.T, s *servertest.Server, host string) event.Event {
	t.Helper()
	page, err := s.Store.QueryEvents(context.Background(), store.EventQuery{Kind: event.KindState, HostID: host,
		Fields: map[string]string{"event.dataset": posture.DatasetSummary}, Limit: 1})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("newest summary: %v", err)
	}
	return page.Events[0]
}

func TestDetectorWindowsAndMissingDB(t *testing.T) {
	s, _ := posturetest.Start(t, t.TempDir()) // no database imported
	for _, tc := range []struct{ reg, ms, smb string }{
		{"win7-sp1-unpatched.reg", "vulnerable", "vulnerable"},
		{"win10-22h2-patched.reg", "not-applicable", "patched"},
	} {
		t.Run(tc.reg, func(t *testing.T) {
			f, err := os.Open(filepath.Join("..", "vuln", "inventory", "testdata", tc.reg))
			if err != nil {
				t.Fatal(err)
			}
			reg, err := inventory.ParseRegFile(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			ev, err := posture.Collect(context.Background(), inventory.Options{OnlyExplicit: true, NoLive: true, Registry: reg})
			if err != nil {
				t.Fatal(err)
			}
			a := posturetest.Enroll(t, s, "Hospital B", "Ward", tc.reg)
			a.Post(t, ev)
			sums := query(t, s, a.ID, posture.DatasetSummary, nil)
			if len(sums) != 1 {
				t.Fatalf("%d summaries", len(sums))
			}
			if sums[0].Fields["ms17_010"] != tc.ms || sums[0].Fields["db.missing"] != true {
				t.Errorf("summary %v", sums[0].Fields)
			}
			if tc.smb != "" && sums[0].Fields["smb1.server"] != tc.smb {
				t.Errorf("smb1.server %v", sums[0].Fields["smb1.server"])
			}
			ms := byRule(query(t, s, a.ID, posture.DatasetFinding, nil))["MS17-010"]
			if (tc.ms == "vulnerable") != (ms.Rule != nil) {
				t.Fatalf("MS17-010 finding present = %v, status %s", ms.Rule != nil, tc.ms)
			}
			if ms.Rule != nil && (ms.Severity < event.SeverityHigh || !strings.Contains(ms.Message, "KB")) {
				t.Errorf("MS17-010 finding: %d %q", ms.Severity, ms.Message)
			}
		})
	}
}

func keys(m map[string]event.Event) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
