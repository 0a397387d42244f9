package vuln

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/internal/vuln/osv"
)

// loadRewritten loads corpus records, renaming one ecosystem to another
// (the corpus stops at Debian 11; its README suggests this rewrite).
func loadRewritten(t testing.TB, dir, from, to string) *osv.DB {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no records in %s: %v", dir, err)
	}
	db := osv.NewDB()
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v, err := osv.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for i := range v.Affected {
			if v.Affected[i].Package.Ecosystem == from {
				v.Affected[i].Package.Ecosystem = to
			}
		}
		if _, err := db.Add(v); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	return db
}

func corpusInventory(t testing.TB) inventory.Inventory {
	t.Helper()
	dir := corpus.Dir(t, "vuln/inventory")
	inv, err := inventory.Collect(context.Background(), inventory.Options{
		Root:       t.TempDir(),
		DpkgStatus: filepath.Join(dir, "dpkg-status-debian12-bookworm"),
		OSRelease:  filepath.Join(dir, "os-release-debian12"),
		NoLive:     true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestCorpusFindings matches the Debian 12 inventory against the corpus
// records and compares with findings computed by dpkg in
// scripts/vuln/gen-inventory-golden.py.
func TestCorpusFindings(t *testing.T) {
	inv := corpusInventory(t)
	if inv.OS.Ecosystem() != "Debian:12" || len(inv.Packages) != 753 {
		t.Fatalf("inventory: %s, %d packages", inv.OS.Ecosystem(), len(inv.Packages))
	}
	dir := filepath.Join(corpus.Dir(t, "vuln/osv"), "debian-derived")

	// Unmodified, no Debian 12 record exists: nothing may match.
	if fs := NewMatcher(loadRewritten(t, dir, "", "")).Match(inv); len(fs) != 0 {
		t.Errorf("%d findings from other releases' advisories, e.g. %s", len(fs), fs[0].Explanation)
	}

	fs := NewMatcher(loadRewritten(t, dir, "Debian:11", "Debian:12")).Match(inv)
	var got []string
	for _, f := range fs {
		got = append(got, strings.Join([]string{f.SourcePackage, f.InstalledVersion, f.Key, f.FixedVersion, strings.Join(f.IDs, ",")}, "\t"))
	}
	slices.Sort(got)
	want := readGolden(t, "testdata/debian12-findings.golden.tsv")
	if !slices.Equal(got, want) {
		t.Errorf("findings differ from dpkg's golden file:\ngot  %q\nwant %q", got, want)
	}
	t.Logf("%d findings, as dpkg computed", len(got))
}

func readGolden(t testing.TB, p string) []string {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "#") && sc.Text() != "" {
			out = append(out, sc.Text())
		}
	}
	slices.Sort(out)
	return out
}

func pkg(eco, name, ver, src, srcVer string) inventory.Package {
	return inventory.Package{Name: name, Version: ver, SourceName: src, SourceVersion: srcVer, Ecosystem: eco, Manager: inventory.Dpkg}
}

// TestGenuineRecords matches real Ubuntu and Debian records.
func TestGenuineRecords(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t, "vuln/osv"), "genuine")
	db := osv.NewDB()
	if err := db.Load(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(db)
	tests := []struct {
		name string
		pkgs []inventory.Package
		want []string // key|fixed|ids
	}{
		{"ubuntu 18.04 unpatched sudo, two binaries",
			[]inventory.Package{pkg("Ubuntu:18.04:LTS", "sudo", "1.8.21p2-3ubuntu1.2", "sudo", "1.8.21p2-3ubuntu1.2"), pkg("Ubuntu:18.04:LTS", "sudo-ldap", "1.8.21p2-3ubuntu1.2", "sudo", "1.8.21p2-3ubuntu1.2")},
			[]string{"CVE-2021-23239|1.8.21p2-3ubuntu1.4|CVE-2021-23239,UBUNTU-CVE-2021-23239,USN-4705-1", "CVE-2021-3156|1.8.21p2-3ubuntu1.4|CVE-2021-3156,UBUNTU-CVE-2021-3156,USN-4705-1"}},
		{"ubuntu 18.04 patched", []inventory.Package{pkg("Ubuntu:18.04:LTS", "sudo", "1.8.21p2-3ubuntu1.4", "sudo", "1.8.21p2-3ubuntu1.4")}, nil},
		{"ubuntu 22.04 not listed", []inventory.Package{pkg("Ubuntu:22.04:LTS", "sudo", "1.8.21p2-3ubuntu1.2", "sudo", "1.8.21p2-3ubuntu1.2")}, nil},
		{"debian 7 nginx via binary nginx-full", []inventory.Package{pkg("Debian:7", "nginx-full", "1.2.1-2.2+wheezy2", "nginx", "1.2.1-2.2+wheezy2")},
			[]string{"CVE-2014-3616|1.2.1-2.2+wheezy3|CVE-2014-3616,DSA-3029-1"}},
		{"bare Debian never matches Debian:7", []inventory.Package{pkg("Debian", "nginx", "1.2.1-2.2+wheezy2", "nginx", "1.2.1-2.2+wheezy2")}, nil},
		{"binary name is not the source name", []inventory.Package{pkg("Debian:7", "nginx", "1.2.1-2.2+wheezy2", "nginx-src", "1.2.1-2.2+wheezy2")}, nil},
		{"pypi requests from requirements.txt (PEP 440 order, ECOSYSTEM range)", []inventory.Package{{Name: "requests", Version: "2.25.1", Ecosystem: "PyPI", Manager: inventory.Pip}},
			[]string{"CVE-2023-32681|2.31.0|CVE-2023-32681,GHSA-j8r2-6x86-q33q,PYSEC-2023-74"}},
		{"pypi requests fixed", []inventory.Package{{Name: "requests", Version: "2.31.0", Ecosystem: "PyPI", Manager: inventory.Pip}}, nil},
		{"pypi requests 2.3.0rc1 is before introduced 2.3.0", []inventory.Package{{Name: "requests", Version: "2.3.0rc1", Ecosystem: "PyPI", Manager: inventory.Pip}}, nil},
		{"alpine v3.8 libcrypto1.0 from origin openssl (apk order)", []inventory.Package{{Name: "libcrypto1.0", Version: "1.0.2p-r0", SourceName: "openssl", SourceVersion: "1.0.2p-r0", Ecosystem: "Alpine:v3.8", Manager: inventory.APK}},
			[]string{"CVE-2018-5407|1.0.2q-r0|CVE-2018-5407"}},
		{"alpine v3.8 fixed", []inventory.Package{{Name: "libcrypto1.0", Version: "1.0.2q-r0", SourceName: "openssl", SourceVersion: "1.0.2q-r0", Ecosystem: "Alpine:v3.8", Manager: inventory.APK}}, nil},
		{"alpine v3.19 not listed", []inventory.Package{{Name: "libcrypto3", Version: "1.0.2p-r0", SourceName: "openssl", SourceVersion: "1.0.2p-r0", Ecosystem: "Alpine:v3.19", Manager: inventory.APK}}, nil},
		{"go stdlib", []inventory.Package{{Name: "stdlib", Version: "1.22.4", Ecosystem: "Go", Manager: inventory.GoBin}},
			[]string{"CVE-2024-24791|1.22.5|CVE-2024-24791,GO-2024-2963"}},
	}
	for _, tt := range tests {
		fs := m.Match(inventory.Inventory{Packages: tt.pkgs})
		var got []string
		for _, f := range fs {
			got = append(got, f.Key+"|"+f.FixedVersion+"|"+strings.Join(f.IDs, ","))
			if f.Explanation == "" || !strings.Contains(f.Explanation, f.InstalledVersion) || len(f.Ranges) == 0 {
				t.Errorf("%s: finding does not explain itself: %+v", tt.name, f)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// TestMerge checks alias merging, the highest fixed version, severity
// from CVSS vectors and that one DSA with two CVEs gives two findings.
func TestMerge(t *testing.T) {
	recs := []string{
		`{"id":"DSA-1","modified":"2024-01-01T00:00:00Z","upstream":["CVE-2024-0001","CVE-2024-0002"],
		  "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
		  "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]}]}`,
		`{"id":"DLA-9","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-0001"],
		  "severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"}],
		  "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}`,
		`{"id":"DSA-2","modified":"2024-01-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z","upstream":["CVE-2024-0003"],
		  "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`,
	}
	db := osv.NewDB()
	for _, r := range recs {
		v, err := osv.Parse([]byte(r))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	inv := inventory.Inventory{Packages: []inventory.Package{
		pkg("Debian:12", "libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"),
		pkg("Debian:12", "openssl", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"),
		pkg("Debian:12", "libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"), // i386 too
	}}
	fs := NewMatcher(db).Match(inv)
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2 (CVE-2024-0001, CVE-2024-0002): %+v", len(fs), fs)
	}
	f1, f2 := fs[0], fs[1]
	if f1.Key != "CVE-2024-0001" || f1.FixedVersion != "3.0.13-1~deb12u1" || f1.Severity != "CRITICAL" || f1.Score != 10 ||
		!slices.Equal(f1.IDs, []string{"CVE-2024-0001", "DLA-9", "DSA-1"}) || !slices.Equal(f1.Binaries, []string{"libssl3", "openssl"}) || len(f1.Ranges) != 2 {
		t.Errorf("first finding: %+v", f1)
	}
	if f2.Key != "CVE-2024-0002" || f2.FixedVersion != "3.0.11-1~deb12u2" || f2.Severity != "HIGH" || f2.Score != 8.1 || !slices.Equal(f2.IDs, []string{"CVE-2024-0002", "DSA-1"}) {
		t.Errorf("second finding: %+v", f2)
	}
	want := "Debian:12 openssl 3.0.11-1~deb12u1 (installed as libssl3, openssl) is affected by CVE-2024-0001 [CVE-2024-0001, DLA-9, DSA-1]: DLA-9 Debian:12: introduced 0, fixed 3.0.13-1~deb12u1; DSA-1 Debian:12: introduced 0, fixed 3.0.11-1~deb12u2; fixed in 3.0.13-1~deb12u1."
	if f1.Explanation != want {
		t.Errorf("explanation:\ngot  %s\nwant %s", f1.Explanation, want)
	}
}

func TestRPMBinaryNames(t *testing.T) {
	// Rocky lists binary rpms; this advisory names both openssl and
	// openssl-libs, which come from one source rpm: one finding.
	v, err := osv.Parse([]byte(`{"id":"RLSA-2023:1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2023-0286"],
	  "affected":[
	    {"package":{"ecosystem":"Rocky Linux:9","name":"openssl-libs"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-6.el9_2"}]}]},
	    {"package":{"ecosystem":"Rocky Linux:9","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-6.el9_2"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	db := osv.NewDB()
	db.Add(v)
	rpm := func(name string) inventory.Package {
		return inventory.Package{Name: name, Version: "1:3.0.7-5.el9", SourceName: "openssl", SourceVersion: "1:3.0.7-5.el9", Manager: inventory.RPMDB, Ecosystem: "Rocky Linux:9"}
	}
	for _, tt := range []struct {
		name string
		pkgs []inventory.Package
		bins []string
	}{
		{"libs only", []inventory.Package{rpm("openssl-libs")}, []string{"openssl-libs"}},
		{"both binaries", []inventory.Package{rpm("openssl-libs"), rpm("openssl")}, []string{"openssl", "openssl-libs"}},
	} {
		fs := NewMatcher(db).Match(inventory.Inventory{Packages: tt.pkgs})
		if len(fs) != 1 || fs[0].Key != "CVE-2023-0286" || fs[0].FixedVersion != "1:3.0.7-6.el9_2" || !slices.Equal(fs[0].Binaries, tt.bins) || len(fs[0].Ranges) != 1 {
			t.Errorf("%s: got %+v", tt.name, fs)
		}
	}
	// On a Debian host binary names are never looked up.
	deb := inventory.Package{Name: "openssl-libs", Version: "1.0", SourceName: "other", SourceVersion: "1.0", Manager: inventory.Dpkg, Ecosystem: "Debian:12"}
	v2, _ := osv.Parse([]byte(`{"id":"DSA-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl-libs"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`))
	db.Add(v2)
	if fs := NewMatcher(db).Match(inventory.Inventory{Packages: []inventory.Package{deb}}); len(fs) != 0 {
		t.Errorf("Debian binary name matched: %+v", fs)
	}
}

// TestBatchEqualsMatch checks that reuse across hosts changes nothing.
func TestBatchEqualsMatch(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t, "vuln/osv"), "genuine")
	db := osv.NewDB()
	if err := db.Load(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(db)
	hosts := []inventory.Inventory{
		{Packages: []inventory.Package{pkg("Ubuntu:18.04:LTS", "sudo", "1.8.21p2-3ubuntu1.2", "sudo", "1.8.21p2-3ubuntu1.2")}},
		{Packages: []inventory.Package{pkg("Ubuntu:18.04:LTS", "sudo", "1.8.21p2-3ubuntu1.2", "sudo", "1.8.21p2-3ubuntu1.2"), pkg("Ubuntu:18.04:LTS", "sudo-ldap", "1.8.21p2-3ubuntu1.2", "sudo", "1.8.21p2-3ubuntu1.2")}},
		{Packages: []inventory.Package{pkg("Ubuntu:18.04:LTS", "sudo", "1.8.21p2-3ubuntu1.4", "sudo", "1.8.21p2-3ubuntu1.4")}},
		{Packages: []inventory.Package{pkg("Ubuntu:18.04:LTS", "sudo", "1.8.21p2-3ubuntu1.2", "sudo", "1.8.21p2-3ubuntu1.2")}},
	}
	b := m.NewBatch()
	for i, h := range hosts {
		want, got := m.Match(h), b.Match(h)
		if len(want) != len(got) {
			t.Fatalf("host %d: batch %d findings, match %d", i, len(got), len(want))
		}
		for j := range want {
			if want[j].Explanation != got[j].Explanation {
				t.Errorf("host %d finding %d:\n%s\n%s", i, j, got[j].Explanation, want[j].Explanation)
			}
		}
	}
}

// TestPyPIVersionsList matches a record that lists affected versions only,
// with a package name differing in case (PEP 503 normalisation).
func TestPyPIVersionsList(t *testing.T) {
	p := filepath.Join(corpus.Dir(t, "vuln/osv"), "genuine", "osv-schema-testdata", "GHSA-9v2f-6vcg-3hgv.json")
	db := osv.NewDB()
	if err := db.Load(context.Background(), p); err != nil || db.Len() != 1 {
		t.Fatalf("load: %v %d", err, db.Len())
	}
	m := NewMatcher(db)
	fs := m.Match(inventory.Inventory{Packages: []inventory.Package{{Name: "gradio", Version: "4.36.1", Ecosystem: "PyPI", Manager: inventory.Pip}}})
	if len(fs) != 1 || fs[0].Key != "CVE-2024-39236" || fs[0].Severity != "CRITICAL" || fs[0].Score != 9.8 || !strings.Contains(fs[0].Ranges[0], "listed in versions") {
		t.Errorf("got %+v", fs)
	}
	if fs := m.Match(inventory.Inventory{Packages: []inventory.Package{{Name: "gradio", Version: "4.37.0", Ecosystem: "PyPI"}}}); len(fs) != 0 {
		t.Errorf("4.37.0 matched: %+v", fs)
	}
}
