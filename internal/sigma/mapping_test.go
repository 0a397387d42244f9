package sigma

import (
	"slices"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/sigma/syntax"
)

func compileWith(t *testing.T, m *Mapping, src string) (*RuleSet, Diagnostics) {
	t.Helper()
	return Compile([]*syntax.File{syntax.ParseFile("r.yml", []byte(src))}, Options{Mapping: m})
}

// TestDefaultMappingVariants: one process_creation rule runs on Sysmon 1
// and Security 4688 (with Image renamed), unless it reads a field 4688
// does not have; a Windows logsource without a variant is rejected.
func TestDefaultMappingVariants(t *testing.T) {
	m, err := DefaultMapping()
	if err != nil {
		t.Fatal(err)
	}
	rs, diags := compileWith(t, m, `title: whoami
id: w1
logsource: {product: windows, category: process_creation}
detection: {s: {Image|endswith: '\whoami.exe'}, condition: s}
---
title: renamed
id: w2
logsource: {product: windows, category: process_creation}
detection: {s: {OriginalFileName: whoami.exe}, condition: s}
---
title: etw only
id: w3
logsource: {product: windows, category: file_access}
detection: {s: {FileName|endswith: '.kdbx'}, condition: s}
`)
	if got := rs.Rule("w1").Variants(); !slices.Equal(got, []string{"sysmon-process-creation", "security-process-creation"}) {
		t.Errorf("w1 variants %v", got)
	}
	if got := rs.Rule("w2").Variants(); !slices.Equal(got, []string{"sysmon-process-creation"}) {
		t.Errorf("w2 variants %v (OriginalFileName is not in 4688)", got)
	}
	errs := diags.Errors()
	if len(errs) != 1 || errs[0].RuleID != "w3" || errs[0].Code != syntax.CodeLogsource || !strings.Contains(errs[0].Message, "windows/file_access/") {
		t.Errorf("diags %v, want w3 rejected for its logsource", diags)
	}
	sysmon := MapEvent{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": "1", "Image": `C:\Windows\System32\whoami.exe`}
	security := MapEvent{"Channel": "Security", "EventID": "4688", "Provider_Name": "Microsoft-Windows-Security-Auditing",
		"NewProcessName": `C:\Windows\System32\whoami.exe`}
	other := MapEvent{"Channel": "Security", "EventID": "4624", "NewProcessName": `C:\Windows\System32\whoami.exe`}
	for name, tc := range map[string]struct {
		ev   MapEvent
		want int
	}{"sysmon": {sysmon, 1}, "security 4688": {security, 1}, "security 4624": {other, 0}} {
		if got := len(rs.Match(tc.ev)); got != tc.want {
			t.Errorf("%s: %d matches, want %d", name, got, tc.want)
		}
	}
	if n := rs.Candidates("Security", "4624"); n != 0 {
		t.Errorf("a 4624 event meets %d process_creation rules", n)
	}
}

// TestSiteMappingFile: a site mapping adds its own channels and the
// placeholder values for expand.
func TestSiteMappingFile(t *testing.T) {
	m, err := ParseMapping("site.yml", []byte(`
routed_products: [windows]
placeholders:
  Administrators: ['CORP\adm_*', 'Administrator']
logsources:
  - {name: his-app, product: windows, service: his, channels: [HIS/Audit], event_ids: [100]}
`))
	if err != nil {
		t.Fatal(err)
	}
	rs, diags := compileWith(t, m, `title: his admin export
id: h1
logsource: {product: windows, service: his}
detection: {s: {User|expand: '%Administrators%', Action: export}, condition: s}
`)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	if n := len(rs.Match(MapEvent{"Channel": "HIS/Audit", "EventID": "100", "User": `CORP\adm_li`, "Action": "Export"})); n != 1 {
		t.Errorf("site rule did not match")
	}
	if n := len(rs.Match(MapEvent{"Channel": "HIS/Audit", "EventID": "101", "User": `CORP\adm_li`, "Action": "Export"})); n != 0 {
		t.Errorf("site rule matched another event id")
	}
	if _, err := ParseMapping("bad.yml", []byte("logsources:\n  - {channels: [X]}\n")); err == nil {
		t.Errorf("a variant without product, category or service was accepted")
	}
	if _, err := ParseMapping("typo.yml", []byte("logsourcez: []\n")); err == nil {
		t.Errorf("an unknown key was accepted")
	}
}
