package winpatch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/vuln/inventory"
)

var win7OS = inventory.OS{Family: "windows", ID: "windows", MajorMinor: "6.1", Build: 7601, InstallationType: "Client"}

func hotfixes(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kbs, err := inventory.ParseHotfixList(f)
	if err != nil {
		t.Fatal(err)
	}
	return kbs
}

func find(rs []Result, id string) Result {
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	return Result{}
}

// TestMS17010Recorded runs the MS17-010 check on recorded hotfix lists.
func TestMS17010Recorded(t *testing.T) {
	tests := []struct {
		file   string
		want   Status
		reason string
	}{
		{"win7-unpatched.wmic.txt", Vulnerable, "none of KB3205409"},
		{"win7-patched.csv", Patched, "KB4012212 is installed"},
		{"win7-superseded-only.csv", Patched, "KB4019264 is installed"}, // May 2017 rollup supersedes March's
		{"win7-later-rollup-only.txt", Unknown, "newer updates are (KB4534310)"},
	}
	for _, tt := range tests {
		h := Host{OS: win7OS, Hotfixes: hotfixes(t, tt.file)}
		r := find(Evaluate(h), "MS17-010")
		if r.Status != tt.want || !strings.Contains(r.Reason, tt.reason) {
			t.Errorf("%s: %s (%s), want %s containing %q", tt.file, r.Status, r.Reason, tt.want, tt.reason)
		}
	}
}

func TestMS17010Versions(t *testing.T) {
	vista := inventory.OS{Family: "windows", MajorMinor: "6.0", Build: 6002, InstallationType: "Server"}
	w10 := func(build, ubr int) inventory.OS {
		return inventory.OS{Family: "windows", MajorMinor: "10.0", Build: build, UBR: ubr, InstallationType: "Client"}
	}
	tests := []struct {
		name string
		h    Host
		want Status
	}{
		{"win7OS srv.sys fixed", Host{OS: win7OS, Files: map[string]string{"srv.sys": "6.1.7601.23689"}}, Patched},
		{"win7OS srv.sys old, even with a KB", Host{OS: win7OS, Hotfixes: []string{"KB4012212"}, Files: map[string]string{"srv.sys": "6.1.7601.17514"}}, Vulnerable},
		{"vista GDR fixed", Host{OS: vista, Files: map[string]string{"srv.sys": "6.0.6002.19743"}}, Patched},
		{"vista LDR below LDR minimum", Host{OS: vista, Files: map[string]string{"srv.sys": "6.0.6002.24066"}}, Vulnerable},
		{"vista LDR fixed", Host{OS: vista, Files: map[string]string{"srv.sys": "6.0.6002.24067"}}, Patched},
		{"1607 UBR fixed", Host{OS: w10(14393, 953)}, Patched},
		{"1607 UBR old", Host{OS: w10(14393, 447)}, Vulnerable},
		{"1507 later CU", Host{OS: w10(10240, 18969)}, Patched},
		{"1703 released patched", Host{OS: w10(15063, 0)}, NotApplicable},
		{"win7OS nothing collected", Host{OS: win7OS}, Unknown},
		{"linux", Host{OS: inventory.OS{Family: "linux"}}, NotApplicable},
	}
	for _, tt := range tests {
		r := Check(&Table[0], tt.h)
		if r.Status != tt.want {
			t.Errorf("%s: %s (%s), want %s", tt.name, r.Status, r.Reason, tt.want)
		}
	}
}

func TestOtherChecks(t *testing.T) {
	srv := func(mm string, build, ubr int) inventory.OS {
		return inventory.OS{Family: "windows", MajorMinor: mm, Build: build, UBR: ubr, InstallationType: "Server"}
	}
	cli := func(build, ubr int) inventory.OS {
		return inventory.OS{Family: "windows", MajorMinor: "10.0", Build: build, UBR: ubr, InstallationType: "Client"}
	}
	tests := []struct {
		id   string
		h    Host
		want Status
	}{
		{"CVE-2019-0708", Host{OS: win7OS, Hotfixes: []string{"KB4499175"}}, Patched},
		{"CVE-2019-0708", Host{OS: win7OS, Hotfixes: []string{"KB4012212"}}, Vulnerable},
		{"CVE-2019-0708", Host{OS: cli(19045, 3803)}, NotApplicable},
		{"CVE-2020-1472", Host{OS: srv("10.0", 17763, 1396), DomainController: true}, Vulnerable},
		{"CVE-2020-1472", Host{OS: srv("10.0", 17763, 1397), DomainController: true}, Patched},
		{"CVE-2020-1472", Host{OS: srv("10.0", 17763, 1), DomainController: false}, NotApplicable},
		{"CVE-2020-1472", Host{OS: srv("6.3", 9600, 0), DomainController: true, Hotfixes: []string{"KB4571703"}}, Patched},
		{"CVE-2020-1472", Host{OS: srv("6.3", 9600, 0), DomainController: true, Hotfixes: []string{"KB4571723"}}, Patched},
		{"CVE-2020-1472", Host{OS: srv("10.0", 14393, 3865), DomainController: true}, Vulnerable},
		{"CVE-2020-1472", Host{OS: srv("10.0", 14393, 3866), DomainController: true}, Patched},
		{"CVE-2020-1472", Host{OS: srv("10.0", 19042, 449), DomainController: true}, Vulnerable}, // 20H2 is affected per MSRC
		{"CVE-2020-1472", Host{OS: srv("10.0", 19042, 572), DomainController: true}, Patched},
		{"CVE-2020-1472", Host{OS: srv("10.0", 20348, 0), DomainController: true}, NotApplicable},
		{"CVE-2019-0708", Host{OS: srv("6.0", 6003, 0), Hotfixes: []string{"KB4499149"}}, Patched},
		{"CVE-2019-0708", Host{OS: inventory.OS{Family: "windows", MajorMinor: "5.1", Build: 2600}, Hotfixes: []string{"KB4500331"}}, Patched},
		{"CVE-2019-0708", Host{OS: srv("6.2", 9200, 0)}, NotApplicable},
		// MSRC's record lists 21H2/22H2/Server 2022/Windows 11 as affected below a build.
		{"CVE-2021-34527", Host{OS: cli(19044, 1414)}, Vulnerable},
		{"CVE-2021-34527", Host{OS: cli(19044, 1415)}, Patched},
		{"CVE-2021-34527", Host{OS: cli(19045, 2250)}, Vulnerable},
		{"CVE-2021-34527", Host{OS: cli(19045, 6456)}, Patched},
		{"CVE-2021-34527", Host{OS: cli(22000, 317)}, Vulnerable},
		{"CVE-2021-34527", Host{OS: cli(22621, 674)}, Patched},
		{"CVE-2021-34527", Host{OS: srv("10.0", 20348, 229)}, Vulnerable},
		{"CVE-2021-34527", Host{OS: cli(19044, 0), Hotfixes: []string{"KB5008212"}}, Patched},
		{"CVE-2021-34527", Host{OS: cli(22631, 0)}, NotApplicable}, // 23H2: released with the fix
		{"CVE-2021-34527", Host{OS: srv("6.0", 6003, 0), Hotfixes: []string{"KB5004959"}}, Patched},
		{"CVE-2021-34527", Host{OS: cli(17134, 2208)}, Vulnerable}, // 1803: no fix released
		{"CVE-2021-34527", Host{OS: cli(19042, 1082)}, Vulnerable},
		{"CVE-2021-34527", Host{OS: cli(19042, 1083)}, Patched},
		{"CVE-2021-34527", Host{OS: cli(18362, 1256)}, Vulnerable}, // 1903: no fix released
		{"CVE-2020-0796", Host{OS: cli(18363, 719)}, Vulnerable},
		{"CVE-2020-0796", Host{OS: cli(18363, 720)}, Patched},
		{"CVE-2020-0796", Host{OS: win7OS}, NotApplicable},
	}
	for _, tt := range tests {
		r := find(Evaluate(tt.h), tt.id)
		if r.Status != tt.want {
			t.Errorf("%s on %+v: %s (%s), want %s", tt.id, tt.h.OS, r.Status, r.Reason, tt.want)
		}
	}
}

// TestRecordedRegistry evaluates the recorded registry exports of the
// inventory package: OS, hotfixes from servicing packages, SMBv1.
func TestRecordedRegistry(t *testing.T) {
	tests := []struct {
		file           string
		ms17010        Status
		server, client Status
	}{
		// KB4012212 is only staged there (CurrentState 0x20), so it does not count.
		{"../inventory/testdata/win7-sp1-unpatched.reg", Vulnerable, Vulnerable, Vulnerable},
		{"../inventory/testdata/win10-22h2-patched.reg", NotApplicable, Patched, Patched},
	}
	for _, tt := range tests {
		f, err := os.Open(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		reg, err := inventory.ParseRegFile(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		inv, err := inventory.Collect(context.Background(), inventory.Options{Root: t.TempDir(), Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		r := find(Evaluate(Host{OS: inv.OS, Hotfixes: inv.Hotfixes}), "MS17-010")
		if r.Status != tt.ms17010 {
			t.Errorf("%s: MS17-010 %s (%s)", tt.file, r.Status, r.Reason)
		}
		s := SMB1State(inv.OS, reg, nil)
		if s.Server != tt.server || s.Client != tt.client {
			t.Errorf("%s: SMB1 server %s (%s) client %s (%s)", tt.file, s.Server, s.ServerWhy, s.Client, s.ClientWhy)
		}
	}
	if s := SMB1State(win7OS, nil, map[string]string{"SMB1Protocol": "Disabled"}); s.Enabled() {
		t.Errorf("feature disabled: %+v", s)
	}
}

// TestTableAgainstCorpus checks the MS17-010 entries against the corpus
// files they were transcribed from.
func TestTableAgainstCorpus(t *testing.T) {
	dir := corpus.Dir(t, "vuln/windows")
	data, err := os.ReadFile(filepath.Join(dir, "ms17-010-any-of-kbs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "KB") {
			want = append(want, l)
		}
	}
	got := slices.Clone(ms17010AnyOf)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("any-of list differs from corpus:\ngot  %v\nwant %v", got, want)
	}
	data, err = os.ReadFile(filepath.Join(dir, "ms17-010-srv.sys-min-version.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var mins []string
	for _, f := range Table[0].Fixes {
		mins = append(mins, f.MinFile, f.MinFileLDR)
	}
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		c := strings.Split(l, "\t")
		if strings.HasPrefix(l, "#") || len(c) != 3 || !strings.Contains(c[2], ".") {
			continue
		}
		n++
		if !slices.Contains(mins, c[2]) {
			t.Errorf("srv.sys minimum %s (%s) missing from the table", c[2], c[0])
		}
	}
	if n != 10 {
		t.Errorf("read %d srv.sys rows, want 10", n)
	}
	bulletin, _ := os.ReadFile(filepath.Join(dir, "ms17-010-bulletin-kbs.tsv"))
	for _, l := range strings.Split(string(bulletin), "\n") {
		c := strings.Split(l, "\t")
		if len(c) >= 2 && strings.HasPrefix(c[1], "KB") && !slices.Contains(ms17010AnyOf, c[1]) {
			t.Errorf("bulletin KB %s (%s) missing", c[1], c[0])
		}
	}
}

func TestTableWellFormed(t *testing.T) {
	for _, v := range Table {
		if v.ID == "" || len(v.CVEs) == 0 || v.Remediation == "" || len(v.Fixes) == 0 {
			t.Errorf("%s: incomplete", v.ID)
		}
		for _, f := range v.Fixes {
			if f.Source == "" || f.Confidence == "" {
				t.Errorf("%s %s: no source or confidence", v.ID, f.Platform.Name)
			}
			for _, kb := range f.KBs {
				if kbNumber(kb) < 100000 {
					t.Errorf("%s: bad KB %q", v.ID, kb)
				}
			}
		}
	}
}

// TestTableSources fails when an entry lacks a source or a valid status:
// every entry cites a public URL or the corpus, "unverified" entries say
// what is not verified, and only "corpus" entries may rest on the corpus
// alone.
func TestTableSources(t *testing.T) {
	counts := map[string]int{}
	for _, v := range Table {
		for _, f := range v.Fixes {
			name := v.ID + " / " + f.Platform.Name
			counts[f.Confidence]++
			switch f.Confidence {
			case confCorpus:
				if !strings.Contains(f.Source, "shared/corpora/vuln/windows") {
					t.Errorf("%s: corpus entry does not name the corpus file: %q", name, f.Source)
				}
			case confVerified:
				if strings.Contains(f.Source, "not verified") {
					t.Errorf("%s: verified entry says %q", name, f.Source)
				}
			case confUnverified:
				if !strings.Contains(f.Source, "not verified: ") {
					t.Errorf("%s: unverified entry has no note saying what is not verified", name)
				}
			default:
				t.Errorf("%s: confidence %q, want corpus, verified or unverified", name, f.Confidence)
			}
			if !strings.Contains(f.Source, "https://") {
				t.Errorf("%s: source cites no URL: %q", name, f.Source)
			}
			if !f.NotAffected && len(f.KBs) == 0 && f.MinUBR == 0 && !strings.Contains(f.Platform.Name, "no fix") {
				t.Errorf("%s: affected platform with neither KBs nor build", name)
			}
		}
	}
	// Pin the review's outcome so a silent downgrade or upgrade shows up
	// here and in docs/vuln.md.
	want := map[string]int{confCorpus: 10, confVerified: 31, confUnverified: 4}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%d %s entries, want %d (update docs/vuln.md too)", counts[k], k, n)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	h := Host{OS: win7OS, Hotfixes: []string{"KB3177186", "KB3212642", "KB4534310", "KB2533552"}}
	for b.Loop() {
		Evaluate(h)
	}
}
