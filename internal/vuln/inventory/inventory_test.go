package inventory

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/medshield/medshield/internal/corpus"
)

func open(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestDpkgStatusCorpus checks the parser against an independent reading of
// the same file: stanza count and every Source: field found by a line scan.
func TestDpkgStatusCorpus(t *testing.T) {
	p := filepath.Join(corpus.Dir(t, "vuln/inventory"), "dpkg-status-debian12-bookworm")
	pkgs, warns, err := ParseDpkgStatus(open(t, p))
	if err != nil || len(warns) > 0 {
		t.Fatalf("err=%v warnings=%v", err, warns)
	}
	// Independent expectation: scan lines for Package:/Source:.
	var wantNames []string
	srcOf := map[string]string{}
	sc := bufio.NewScanner(open(t, p))
	sc.Buffer(nil, 1<<20)
	var cur string
	for sc.Scan() {
		l := sc.Text()
		if v, ok := strings.CutPrefix(l, "Package: "); ok {
			cur = v
			wantNames = append(wantNames, v)
		}
		if v, ok := strings.CutPrefix(l, "Source: "); ok {
			srcOf[cur] = v
		}
	}
	if len(pkgs) != len(wantNames) || len(pkgs) != 753 {
		t.Fatalf("got %d packages, line scan found %d (SOURCES.md says 753)", len(pkgs), len(wantNames))
	}
	withSource := 0
	for i, pk := range pkgs {
		if pk.Name != wantNames[i] {
			t.Fatalf("package %d = %q, want %q", i, pk.Name, wantNames[i])
		}
		if s, ok := srcOf[pk.Name]; ok {
			withSource++
			name, _, _ := strings.Cut(s, " ")
			if pk.SourceName != name {
				t.Errorf("%s: source %q, want %q", pk.Name, pk.SourceName, name)
			}
		} else if pk.SourceName != pk.Name || pk.SourceVersion != pk.Version {
			t.Errorf("%s: no Source: but got %s %s", pk.Name, pk.SourceName, pk.SourceVersion)
		}
	}
	if withSource != 619 {
		t.Errorf("%d packages with Source:, SOURCES.md says 619", withSource)
	}
	byName := map[string]Package{}
	for _, pk := range pkgs {
		byName[pk.Name] = pk
	}
	tests := []struct{ name, src, srcVer string }{
		{"libc6", "glibc", byName["libc6"].Version},
		{"libssl3", "openssl", byName["libssl3"].Version},
		{"bash", "bash", "5.2.15-2"}, // binNMU 5.2.15-2+b8 of source 5.2.15-2
	}
	for _, tt := range tests {
		pk, ok := byName[tt.name]
		if !ok {
			t.Fatalf("%s missing", tt.name)
		}
		if pk.SourceName != tt.src || pk.SourceVersion != tt.srcVer || pk.Manager != Dpkg {
			t.Errorf("%s = %+v, want source %s %s", tt.name, pk, tt.src, tt.srcVer)
		}
	}
}

func TestDpkgStatusEdgeCases(t *testing.T) {
	in := "Package: a\nStatus: install ok installed\nVersion: 1.0-1\nSource: srca (0.9-2)\n\n" +
		"Package: gone\nStatus: deinstall ok config-files\nVersion: 2\n\n" +
		"Package: nover\nStatus: install ok installed\n\n" +
		"garbage line\n\n" +
		"Package: b\nVersion: 3\nDescription: x\n more\n"
	pkgs, warns, err := ParseDpkgStatus(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Package{
		{Name: "a", Version: "1.0-1", SourceName: "srca", SourceVersion: "0.9-2", Manager: Dpkg},
		{Name: "b", Version: "3", SourceName: "b", SourceVersion: "3", Manager: Dpkg},
	}
	if !slices.Equal(pkgs, want) {
		t.Errorf("got %+v\nwant %+v", pkgs, want)
	}
	if len(warns) != 2 {
		t.Errorf("warnings = %q, want 2 (no Version, no ':')", warns)
	}
}

func TestOSReleaseEcosystem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ID=debian\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"", "Debian:12"},
		{"ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"", "Ubuntu:22.04:LTS"},
		{"ID=ubuntu\nVERSION_ID=\"23.10\"\nVERSION=\"23.10 (Mantic Minotaur)\"", "Ubuntu:23.10"},
		{"ID=alpine\nVERSION_ID=3.19.1", "Alpine:v3.19"},
		{"ID=\"rhel\"\nVERSION_ID=\"9.2\"", "Red Hat:9"},
		{"ID=\"rocky\"\nVERSION_ID=\"9.3\"", "Rocky Linux:9"},
		{"ID=\"almalinux\"\nVERSION_ID=\"8.9\"", "AlmaLinux:8"},
		{"ID=\"openEuler\"\nVERSION_ID=\"22.03\"\nVERSION=\"22.03 (LTS-SP1)\"", "openEuler:22.03-LTS-SP1"},
		{"ID=kylin\nVERSION_ID=\"V10\"", ""},
		{"# comment\n\nNAME='x'", ""},
	}
	for _, tt := range tests {
		o, err := ParseOSRelease(strings.NewReader(tt.in))
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if got := o.Ecosystem(); got != tt.want {
			t.Errorf("%q: ecosystem %q, want %q", tt.in, got, tt.want)
		}
	}
	if _, err := ParseOSRelease(strings.NewReader("ID debian")); err == nil {
		t.Error("line without '=': no error")
	}
	p := filepath.Join(corpus.Dir(t, "vuln/inventory"), "os-release-debian12")
	o, err := ParseOSRelease(open(t, p))
	if err != nil || o.Ecosystem() != "Debian:12" || o.VersionCodename != "bookworm" || o.PrettyName != "Debian GNU/Linux 12 (bookworm)" {
		t.Errorf("corpus os-release = %+v, %v", o, err)
	}
}

// TestRPMDB reads a real rpm 4.18 database (scripts/vuln/make-rpmdb.sh) and
// compares with what rpm -qa printed for it.
func TestRPMDB(t *testing.T) {
	pkgs, warns, err := ReadRPMDB(context.Background(), "testdata/rpmdb.sqlite")
	if err != nil || len(warns) > 0 {
		t.Fatalf("err=%v warnings=%v", err, warns)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Name+"\t"+p.Version+"\t"+p.Arch+"\t"+p.SourceName)
	}
	slices.Sort(got)
	data, err := os.ReadFile("testdata/rpmdb.expected.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(l, "\t") // name epoch version release arch srpm
		evr := f[2] + "-" + f[3]
		if f[1] != "0" {
			evr = f[1] + ":" + evr
		}
		src, _ := sourceName(f[5])
		want = append(want, f[0]+"\t"+evr+"\t"+f[4]+"\t"+src)
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if _, _, err := ReadRPMDB(context.Background(), "testdata/nonexistent"); err == nil {
		t.Error("missing database: no error")
	}
	// The same packages from Berkeley DB "Packages" files written by
	// Berkeley DB itself and read back by rpm (scripts/vuln/make-rpmdb-bdb.py):
	// default pages (headers inline) and 512-byte pages (overflow chains).
	for _, bdb := range []string{"testdata/Packages", "testdata/Packages.p512"} {
		pkgs, warns, err := ReadRPMDB(context.Background(), bdb)
		if err != nil || len(warns) > 0 {
			t.Fatalf("%s: err=%v warnings=%v", bdb, err, warns)
		}
		var got []string
		for _, p := range pkgs {
			got = append(got, p.Name+"\t"+p.Version+"\t"+p.Arch+"\t"+p.SourceName)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %q\nwant %q", bdb, got, want)
		}
	}
	if _, _, err := ReadRPMBDB("testdata/apk-installed"); err == nil {
		t.Error("text file read as Berkeley DB")
	}
}

func TestParseRPMHeaderErrors(t *testing.T) {
	hdr := func(il, dl uint32, rest ...byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, il)
		b = binary.BigEndian.AppendUint32(b, dl)
		return append(b, rest...)
	}
	entry := func(tag, typ, off, count uint32) []byte {
		var b []byte
		for _, v := range []uint32{tag, typ, off, count} {
			b = binary.BigEndian.AppendUint32(b, v)
		}
		return b
	}
	tests := map[string][]byte{
		"short":        {0, 0, 0},
		"huge":         hdr(1<<30, 0),
		"truncated":    hdr(2, 10),
		"bad offset":   hdr(1, 4, append(entry(1000, 6, 99, 1), 'a', 'b', 'c', 0)...),
		"unterminated": hdr(1, 3, append(entry(1000, 6, 0, 1), 'a', 'b', 'c')...),
		"no version":   hdr(1, 4, append(entry(1000, 6, 0, 1), 'a', 'b', 'c', 0)...),
	}
	for name, b := range tests {
		if _, err := ParseRPMHeader(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestAPK(t *testing.T) {
	pkgs, warns, err := ParseAPKInstalled(open(t, "testdata/apk-installed"))
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	if len(pkgs) != 3 || pkgs[1].Name != "libcrypto3" || pkgs[1].SourceName != "openssl" || pkgs[1].Version != "3.1.4-r1" {
		t.Errorf("got %+v", pkgs)
	}
}

func TestCollectFakeRoot(t *testing.T) {
	root := t.TempDir()
	for p, src := range map[string]string{
		"etc/os-release":           "testdata/os-release-alpine",
		"lib/apk/db/installed":     "testdata/apk-installed",
		"var/lib/rpm/rpmdb.sqlite": "testdata/rpmdb.sqlite",
	} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := Collect(context.Background(), Options{Root: root, NoLive: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 7 || len(inv.Warnings) != 0 {
		t.Fatalf("packages %d warnings %q", len(inv.Packages), inv.Warnings)
	}
	for _, p := range inv.Packages {
		if p.Ecosystem != "Alpine:v3.19" {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
	}
	if _, err := Collect(context.Background(), Options{Root: root, DpkgStatus: filepath.Join(root, "nope"), NoLive: true}); err == nil {
		t.Error("explicit missing dpkg status: no error")
	}
}

func readReg(t *testing.T, p string) *RegFile {
	t.Helper()
	rf, err := ParseRegFile(open(t, p))
	if err != nil {
		t.Fatal(err)
	}
	return rf
}

func TestWindowsRecorded(t *testing.T) {
	tests := []struct {
		file     string
		product  string
		version  string
		programs []string
		hotfixes []string
	}{
		{"testdata/win7-sp1-unpatched.reg", "Windows 7 Professional", "6.1.7601.0",
			[]string{"Adobe Reader XI (11.0.10)", "Microsoft Office Professional Plus 2010", "RadiAnt DICOM Viewer", "WinPcap 4.1.3"},
			[]string{"KB2533552", "KB3177186"}},
		{"testdata/win10-22h2-patched.reg", "Windows 10 Pro", "10.0.19045.3289",
			[]string{"7-Zip 23.01 (x64 edition)"},
			[]string{"KB5032907", "KB5033372"}},
	}
	for _, tt := range tests {
		inv, err := Collect(context.Background(), Options{Root: t.TempDir(), Registry: readReg(t, tt.file)})
		if err != nil {
			t.Fatal(err)
		}
		if tt.file == "testdata/win7-sp1-unpatched.reg" && inv.Host != "CT-WS07" {
			t.Errorf("host %q, want the recorded computer name", inv.Host)
		}
		if inv.OS.ProductName != tt.product || inv.OS.WindowsVersion() != tt.version || inv.OS.Family != "windows" {
			t.Errorf("%s: os %+v", tt.file, inv.OS)
		}
		var names []string
		for _, p := range inv.Packages {
			names = append(names, p.Name)
		}
		if !slices.Equal(names, tt.programs) {
			t.Errorf("%s: programs %q, want %q", tt.file, names, tt.programs)
		}
		if !slices.Equal(inv.Hotfixes, tt.hotfixes) {
			t.Errorf("%s: hotfixes %q, want %q", tt.file, inv.Hotfixes, tt.hotfixes)
		}
	}
}

func TestRegFileValues(t *testing.T) {
	rf := readReg(t, "testdata/win7-sp1-unpatched.reg")
	v, err := rf.Values(`hklm\system\currentcontrolset\services\lanmanworkstation`)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := v.Get("DependOnService"); s != "Bowser\nMRxSmb10\nNSI" {
		t.Errorf("multi_sz = %q", s)
	}
	v, _ = rf.Values(`HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\PACS Viewer`)
	if s, _ := v.Get("installlocation"); s != `C:\Program Files` {
		t.Errorf("expand_sz = %q", s)
	}
	if _, err := rf.Values(`HKLM\SOFTWARE\Nope`); err == nil {
		t.Error("missing key: no error")
	}
	// The same export as UTF-16LE with BOM, as regedit writes it.
	data, _ := os.ReadFile("testdata/win10-22h2-patched.reg")
	u := utf16.Encode([]rune(string(data)))
	b := []byte{0xff, 0xfe}
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	rf16, err := ParseRegFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	o, err := WindowsOS(rf16)
	if err != nil || o.UBR != 3289 || o.DisplayVersion != "22H2" {
		t.Errorf("utf-16 export: %+v %v", o, err)
	}
	for _, bad := range []string{"[HKLM\\x", "\"a\"=dword:zz", "\"a\"=1", "\"v\"=\"x"} {
		in := bad
		if !strings.HasPrefix(bad, "[") {
			in = "[HKLM\\X]\n" + bad
		}
		if _, err := ParseRegFile(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestHotfixList(t *testing.T) {
	kbs, err := ParseHotfixList(open(t, "testdata/hotfix-getHotFix.csv"))
	if err != nil || !slices.Equal(kbs, []string{"KB3177186", "KB4012212"}) {
		t.Errorf("got %q, %v", kbs, err)
	}
}

func TestGoBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	pkgs, err := ReadGoBinary(exe)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimPrefix(runtime.Version(), "go")
	want, _, _ = strings.Cut(want, " ")
	if len(pkgs) == 0 || pkgs[0].Name != "stdlib" || pkgs[0].Version != want || pkgs[0].Ecosystem != "Go" {
		t.Errorf("got %+v, want stdlib %s first", pkgs, want)
	}
	if _, err := ReadGoBinary("testdata/apk-installed"); err == nil {
		t.Error("text file read as Go binary")
	}
}

func TestLockfiles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"testdata/lock/package-lock.json", []string{"npm @babel/core 7.12.3", "npm express 4.17.1", "npm lodash 4.17.20", "npm qs 6.7.0"}},
		{"testdata/lock/requirements.txt", []string{"PyPI Django 3.2.12", "PyPI requests 2.25.1", "PyPI Pillow 8.1.0"}},
		{"testdata/lock/poetry.lock", []string{"PyPI jinja2 2.11.2", "PyPI markupsafe 1.1.1"}},
	}
	for _, tt := range tests {
		pkgs, err := ReadLockfile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range pkgs {
			got = append(got, p.Ecosystem+" "+p.Name+" "+p.Version)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.file, got, tt.want)
		}
	}
	if _, err := ReadLockfile("testdata/apk-installed"); err == nil {
		t.Error("unknown lockfile type accepted")
	}
	v1 := `{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}}}}`
	pkgs, err := ParseNPMLock(strings.NewReader(v1))
	if err != nil || len(pkgs) != 2 || pkgs[1].Name != "b" {
		t.Errorf("v1 lock: %+v %v", pkgs, err)
	}
}

func FuzzParseNPMLock(f *testing.F) {
	seed(f, "testdata/lock/package-lock.json")
	f.Fuzz(func(t *testing.T, b []byte) { ParseNPMLock(bytes.NewReader(b)) })
}

// peWithVersion builds a minimal PE image carrying a VS_FIXEDFILEINFO.
func peWithVersion(ms, ls uint32, pad int) []byte {
	b := make([]byte, 64+pad)
	copy(b, "MZ")
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, 0xbd, 0x04, 0xef, 0xfe)
	b = binary.LittleEndian.AppendUint32(b, 0x00010000)
	b = binary.LittleEndian.AppendUint32(b, ms)
	b = binary.LittleEndian.AppendUint32(b, ls)
	return append(b, make([]byte, 32)...)
}

func TestParseFileVersion(t *testing.T) {
	v, err := ParseFileVersion(peWithVersion(6<<16|1, 7601<<16|23689, 100))
	if err != nil || v != "6.1.7601.23689" {
		t.Errorf("got %q, %v", v, err)
	}
	// A signature at an unaligned offset or without the structure version
	// is skipped.
	bad := peWithVersion(1, 1, 100)
	copy(bad[10:], []byte{0xbd, 0x04, 0xef, 0xfe, 0, 0, 1, 0})
	if v, err := ParseFileVersion(bad); err != nil || v != "0.1.0.1" {
		t.Errorf("decoy: %q %v", v, err)
	}
	for _, in := range [][]byte{nil, []byte("ELF"), append([]byte("MZ"), make([]byte, 100)...)} {
		if _, err := ParseFileVersion(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func FuzzParseFileVersion(f *testing.F) {
	f.Add(peWithVersion(10<<16, 14393<<16|953, 8))
	f.Fuzz(func(t *testing.T, b []byte) { ParseFileVersion(b) })
}
