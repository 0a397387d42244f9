package rules

import (
	"context"
	"encoding/binary"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/yara"
	"github.com/medshield/medshield/internal/yara/module/modules"
)

// The starter rules are tested on files generated here: each rule gets one
// input it must match and one close look-alike it must not. Nothing here
// is malware; the inputs only carry the strings the rules look for.

type section struct {
	name  string
	chars uint32
}

// makePE builds a minimal, well-formed PE32 file with one 0x200-byte raw
// block per section; entryRVA is the entry point.
func makePE(secs []section, entryRVA uint32, body []byte) []byte {
	const peOff, optSize = 0x40, 0xE0
	headers := peOff + 24 + optSize + 40*len(secs)
	rawStart := (headers + 0x1FF) &^ 0x1FF
	b := make([]byte, rawStart+0x200*len(secs))
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3C:], peOff)
	copy(b[peOff:], "PE\x00\x00")
	c := b[peOff+4:]
	binary.LittleEndian.PutUint16(c[0:], 0x14C)
	binary.LittleEndian.PutUint16(c[2:], uint16(len(secs)))
	binary.LittleEndian.PutUint16(c[16:], optSize)
	binary.LittleEndian.PutUint16(c[18:], 0x0102)
	o := b[peOff+24:]
	binary.LittleEndian.PutUint16(o[0:], 0x10B)
	binary.LittleEndian.PutUint32(o[16:], entryRVA)
	binary.LittleEndian.PutUint32(o[28:], 0x400000)
	binary.LittleEndian.PutUint32(o[32:], 0x1000)
	binary.LittleEndian.PutUint32(o[36:], 0x200)
	binary.LittleEndian.PutUint16(o[40:], 4)
	binary.LittleEndian.PutUint32(o[56:], uint32(0x1000*(len(secs)+1)))
	binary.LittleEndian.PutUint32(o[60:], uint32(rawStart))
	binary.LittleEndian.PutUint16(o[68:], 2)
	binary.LittleEndian.PutUint32(o[92:], 16)
	for i, s := range secs {
		h := b[peOff+24+optSize+40*i:]
		copy(h[0:8], s.name)
		binary.LittleEndian.PutUint32(h[8:], 0x200)
		binary.LittleEndian.PutUint32(h[12:], uint32(0x1000*(i+1)))
		binary.LittleEndian.PutUint32(h[16:], 0x200)
		binary.LittleEndian.PutUint32(h[20:], uint32(rawStart+0x200*i))
		binary.LittleEndian.PutUint32(h[36:], s.chars)
	}
	if len(secs) > 0 {
		copy(b[rawStart:rawStart+0x200], body)
	}
	return b
}

const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

var oleMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"

func mz(s string) []byte {
	b := make([]byte, 256)
	copy(b, "MZ")
	return append(b, s...)
}

var starterCases = []struct {
	rule       string
	match, not []byte
}{
	{"EICAR_Test_File", []byte(eicar + "\r\n"), []byte(" " + eicar)},
	{"Ransom_WannaCry_Traits",
		mz("WanaCrypt0r 2.0\x00.WNCRY\x00tasksche.exe\x00"),
		[]byte("WanaCrypt0r 2.0\x00.WNCRY\x00tasksche.exe\x00")},
	{"Miner_XMRig",
		[]byte("XMRig/6.21.0 usage: xmrig --donate-level=1 -a randomx -o stratum+tcp://pool.example.org:3333"),
		[]byte("xmrigger --donate-level=1 for tests")},
	{"Miner_XMR_Stak",
		[]byte(`xmr-stak 2.10 "pool_address" : "pool.example.org:3333"`),
		[]byte(`this is not xmr stak; "pool_address"`)},
	{"Miner_Config_JSON",
		[]byte(`{"pools": [{"url": "stratum+tcp://pool.example.org:4444", "user": "` + strings.Repeat("4A", 48) + `"}]}`),
		[]byte(`{"pools": [{"url": "https://example.org/status", "user": "alice"}]}`)},
	{"Webshell_PHP_Request_Eval",
		[]byte("<?php @eval(base64_decode($_POST['c'])); ?>"),
		[]byte("<?php echo base64_decode($config['banner']); ?>")},
	{"Webshell_JSP_Runtime_Exec",
		[]byte(`<% Process p = Runtime.getRuntime().exec(request.getParameter("cmd")); %>`),
		[]byte(`<% Process p = Runtime.getRuntime().exec("uptime"); %>`)},
	{"Webshell_ASPX_Eval",
		[]byte(`<%@ Page Language="Jscript"%><% eval(Request.Item["c"],"unsafe"); %>`),
		[]byte(`<%@ Page Language="C#"%><% Response.Write(Request.Item["c"]); %>`)},
	{"Office_Macro_AutoExec_Dropper",
		append([]byte(oleMagic), "\x00\x00Attribute VB_Name\x00Sub AutoOpen()\x00URLDownloadToFile\x00CreateObject(\"WScript.Shell\")"...),
		append([]byte(oleMagic), "\x00\x00Attribute VB_Name\x00Sub AutoOpen()\x00MsgBox \"hello\""...)},
	{"PE_Writable_Executable_Section",
		makePE([]section{{".text", 0xE0000020}}, 0x1000, nil),
		makePE([]section{{".text", 0x60000020}}, 0x1000, nil)},
	{"PE_UPX_Packed",
		makePE([]section{{"UPX0", 0xE0000080}, {"UPX1", 0xE0000040}}, 0x2000, nil),
		makePE([]section{{".text", 0x60000020}, {".data", 0xC0000040}}, 0x1000, nil)},
	{"PE_Entry_Point_Outside_Sections",
		makePE([]section{{".text", 0x60000020}}, 0x8000, nil),
		makePE([]section{{".text", 0x60000020}}, 0x1010, nil)},
}

func compileStarter(t *testing.T) *yara.Rules {
	c, err := yara.NewCompiler(yara.Options{Modules: modules.List()})
	if err != nil {
		t.Fatal(err)
	}
	err = fs.WalkDir(Yara, "yara", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(Yara, p)
		if err != nil {
			return err
		}
		return c.AddSource(p, p, src)
	})
	if err != nil {
		t.Fatalf("compile starter rules: %v", err)
	}
	rs, err := c.Rules()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func matched(t *testing.T, rs *yara.Rules, data []byte) map[string]bool {
	res, err := rs.Scan(context.Background(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range res {
		out[m.Rule.Name] = true
	}
	return out
}

func TestStarterRulesOnGeneratedFiles(t *testing.T) {
	rs := compileStarter(t)
	covered := map[string]bool{}
	for _, tc := range starterCases {
		covered[tc.rule] = true
		t.Run(tc.rule, func(t *testing.T) {
			if !matched(t, rs, tc.match)[tc.rule] {
				t.Errorf("%s does not match its generated sample", tc.rule)
			}
			if matched(t, rs, tc.not)[tc.rule] {
				t.Errorf("%s matches the look-alike it must not match", tc.rule)
			}
		})
	}
	for _, r := range rs.Rules() {
		if !covered[r.Name] {
			t.Errorf("starter rule %s has no generated test case", r.Name)
		}
	}
}

// TestStarterRulesAgreeWithYara runs the reference yara on the same
// generated files when it is installed.
func TestStarterRulesAgreeWithYara(t *testing.T) {
	bin, err := exec.LookPath("yara")
	if err != nil {
		t.Skip("yara not installed (apt-get install yara)")
	}
	dir := t.TempDir()
	var ruleFiles []string
	fs.WalkDir(Yara, "yara", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(Yara, p)
			dst := filepath.Join(dir, filepath.Base(p))
			os.WriteFile(dst, b, 0o644)
			ruleFiles = append(ruleFiles, dst)
		}
		return nil
	})
	rs := compileStarter(t)
	for i, tc := range starterCases {
		for j, data := range [][]byte{tc.match, tc.not} {
			f := filepath.Join(dir, "sample")
			os.WriteFile(f, data, 0o644)
			var want []string
			for _, rf := range ruleFiles {
				out, err := exec.Command(bin, "-w", rf, f).Output()
				if err != nil {
					t.Fatalf("yara %s: %v", rf, err)
				}
				for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					if name, _, ok := strings.Cut(l, " "); ok {
						want = append(want, name)
					}
				}
			}
			got := matched(t, rs, data)
			for _, w := range want {
				if !got[w] {
					t.Errorf("case %d/%d: yara matches %s, medshield does not", i, j, w)
				}
				delete(got, w)
			}
			for g := range got {
				t.Errorf("case %d/%d: medshield matches %s, yara does not", i, j, g)
			}
		}
	}
}
