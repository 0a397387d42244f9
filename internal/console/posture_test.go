package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/posture"
	"github.com/medshield/medshield/internal/posture/posturetest"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/vuln/inventory"
)

func get(t *testing.T, c *http.Client, url, lang string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Language", lang)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// row returns the text of the <td> cells of the row that mentions key in
// the table with the given id or class.
func row(t *testing.T, page, table, key string) []string {
	t.Helper()
	i := strings.Index(page, table)
	if i < 0 {
		t.Fatalf("no table %s in page", table)
	}
	rest := page[i:]
	rest = rest[:strings.Index(rest, "</table>")]
	for _, tr := range strings.Split(rest, "<tr>") {
		if strings.Contains(tr, key) {
			var out []string
			for _, m := range regexp.MustCompile(`<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(tr, -1) {
				out = append(out, regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], ""))
			}
			return out
		}
	}
	t.Fatalf("no row with %q in %s", key, table)
	return nil
}

func TestPosturePages(t *testing.T) {
	data := t.TempDir()
	const crit = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
	posturetest.Import(t, data, "debian",
		posturetest.Record{ID: "DSA-9001-1", CVE: "CVE-2099-0001", Ecosystem: "Debian:12", Package: "openssl", Fixed: "3.0.20-1~deb12u1", CVSS: crit},
		posturetest.Record{ID: "DSA-9003-1", CVE: "CVE-2099-0003", Ecosystem: "Debian:12", Package: "bash", Fixed: "5.2.15-3", CVSS: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"})
	s, _ := posturetest.Start(t, data)

	dir := corpus.Dir(t, "vuln/inventory")
	deb, err := posture.Collect(context.Background(), inventory.Options{OnlyExplicit: true, NoLive: true,
		DpkgStatus: filepath.Join(dir, "dpkg-status-debian12-bookworm"), OSRelease: filepath.Join(dir, "os-release-debian12")})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "vuln", "inventory", "testdata", "win7-sp1-unpatched.reg"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := inventory.ParseRegFile(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	win, err := posture.Collect(context.Background(), inventory.Options{OnlyExplicit: true, NoLive: true, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	pacs := posturetest.Enroll(t, s, "Hospital A", "Radiology", "pacs-01")
	pacs.Post(t, deb)
	ward := posturetest.Enroll(t, s, "Hospital A", "Ward 3", "ward-pc-7")
	ward.Post(t, win)
	other := posturetest.Enroll(t, s, "Hospital B", "Lab", "lab-01")
	other.Post(t, deb)
	posturetest.Enroll(t, s, "Hospital A", "Ward 3", "never-reported")

	c := s.Login(t, "admin", servertest.AdminPassword).Client
	code, page := get(t, c, s.URL+"/posture?hospital=Hospital+A", "en")
	if code != 200 {
		t.Fatalf("/posture: %d %s", code, page)
	}
	// pacs-01: 1 critical (openssl) + 1 high (bash); ward-pc-7: MS17-010
	// and the other Windows 7 checks the table says are missing.
	if got := row(t, page, `class="posture-hosts"`, "pacs-01"); got[3] != "1" || got[4] != "1" || got[7] != "not-applicable" {
		t.Errorf("pacs-01 row %q", got)
	}
	if got := row(t, page, `class="posture-hosts"`, "ward-pc-7"); got[7] != "vulnerable" || got[8] != "vulnerable" {
		t.Errorf("ward-pc-7 row %q", got)
	}
	if got := row(t, page, `class="posture-hosts"`, "never-reported"); !strings.Contains(got[2], "no inventory") {
		t.Errorf("never-reported row %q", got)
	}
	if !regexp.MustCompile(`class="ms17010-missing">.*ward-pc-7`).MatchString(page) || strings.Contains(page, "lab-01") {
		t.Error("hosts missing MS17-010 not listed, or another hospital shown")
	}
	if got := row(t, page, `class="top-cves"`, "CVE-2099-0001"); got[1] != "CRITICAL" || got[2] != "1" {
		t.Errorf("top CVE row %q", got)
	}
	if strings.Contains(page, `id="osv-banner"`) {
		t.Error("fresh database flagged as stale")
	}

	// Host page: findings with their explanation.
	code, page = get(t, c, s.URL+"/posture/hosts/"+pacs.ID, "en")
	if code != 200 {
		t.Fatalf("host page %d", code)
	}
	if got := row(t, page, `id="findings"`, "CVE-2099-0001"); got[2] != "openssl" || got[3] != "3.0.19-1~deb12u2" || got[4] != "3.0.20-1~deb12u1" ||
		!strings.Contains(got[6], "libssl3, openssl) is affected by CVE-2099-0001") {
		t.Errorf("finding row %q", got)
	}

	// Printable report, in Chinese.
	code, page = get(t, c, s.URL+"/posture/report?hospital=Hospital+A", "zh-CN")
	if code != 200 || !strings.Contains(page, "入侵防范") {
		t.Fatalf("report %d", code)
	}
	if got := row(t, page, `id="report-hosts"`, "ward-pc-7"); got[6] != "vulnerable" || got[7] != "vulnerable" {
		t.Errorf("report row %q", got)
	}
	if got := row(t, page, `id="report-totals"`, "MS17-010"); !strings.HasPrefix(got[0], "1") {
		t.Errorf("report MS17-010 total %q", got)
	}
	if code, _ := get(t, c, s.URL+"/posture/report", "en"); code != 400 {
		t.Errorf("report without hospital: %d", code)
	}
}

func TestPostureBannerWithoutDatabase(t *testing.T) {
	s, _ := posturetest.Start(t, t.TempDir())
	c := s.Login(t, "admin", servertest.AdminPassword).Client
	_, page := get(t, c, s.URL+"/posture", "en")
	if !strings.Contains(page, "No host inventory has been assessed yet") {
		t.Error("no 'nothing assessed' banner")
	}
	a := posturetest.Enroll(t, s, "H", "D", "h1")
	ev, err := posture.Event(inventory.Inventory{OS: inventory.OS{Family: "linux", ID: "debian", VersionID: "12"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev.Timestamp = time.Now().UTC()
	a.Post(t, ev)
	_, page = get(t, c, s.URL+"/posture", "en")
	if !strings.Contains(page, "No OSV vulnerability database is loaded") {
		t.Error("no missing-database banner")
	}
}

func TestPostureStaleDatabaseBanner(t *testing.T) {
	data := t.TempDir()
	posturetest.Import(t, data, "debian", posturetest.Record{ID: "DSA-9001-1", CVE: "CVE-2099-0001", Ecosystem: "Debian:12", Package: "openssl", Fixed: "9.9.9-1"})
	for _, tc := range []struct {
		age   time.Duration
		stale bool
	}{{6 * 24 * time.Hour, false}, {8 * 24 * time.Hour, true}} {
		// Back-date the import as if it had been done age ago.
		mpath := filepath.Join(data, "vuln", "manifest.json")
		b, err := os.ReadFile(mpath)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string][]map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		m["sources"][0]["imported_at"] = time.Now().Add(-tc.age).UTC().Format(time.RFC3339)
		b, _ = json.Marshal(m)
		if err := os.WriteFile(mpath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s, _ := posturetest.Start(t, data)
		a := posturetest.Enroll(t, s, "H", "D", "h1")
		ev, err := posture.Event(inventory.Inventory{OS: inventory.OS{Family: "linux", ID: "debian", VersionID: "12"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.Post(t, ev)
		_, page := get(t, s.Login(t, "admin", servertest.AdminPassword).Client, s.URL+"/posture", "en")
		if got := strings.Contains(page, "older than 7 days"); got != tc.stale {
			t.Errorf("import %v ago: stale banner shown = %v", tc.age, got)
		}
	}
}
