package scansched

import (
	"bytes"
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// Globs is a list of patterns matched against slash-separated paths. A
// pattern without a '/' matches the base name anywhere ("*.tmp"); a pattern
// with a '/' matches the whole path, and "**" in it matches any number of
// directories ("/home/*/.cache/**", "**/node_modules/**"). Matching is
// case-sensitive; New validates every pattern.
type Globs []string

// check validates every pattern.
func (g Globs) check() error {
	for _, p := range g {
		for _, seg := range strings.Split(p, "/") {
			if seg == "**" {
				continue
			}
			if _, err := path.Match(seg, ""); err != nil {
				return fmt.Errorf("glob %q: %w", p, err)
			}
		}
	}
	return nil
}

// Match reports whether p (an OS path) matches any pattern.
func (g Globs) Match(p string) bool {
	sp := filepath.ToSlash(p)
	base := path.Base(sp)
	for _, pat := range g {
		if !strings.Contains(pat, "/") {
			if ok, _ := path.Match(pat, base); ok {
				return true
			}
			continue
		}
		if matchSegments(strings.Split(strings.Trim(pat, "/"), "/"), strings.Split(strings.Trim(sp, "/"), "/")) {
			return true
		}
	}
	return false
}

func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			if len(pat) == 1 {
				return true
			}
			for i := 0; i <= len(segs); i++ {
				if matchSegments(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// Kinds of files on-access scanning cares about.
var interestingExt = map[string]bool{
	// executables and libraries
	".exe": true, ".dll": true, ".sys": true, ".scr": true, ".cpl": true, ".ocx": true,
	".msi": true, ".com": true, ".so": true, ".elf": true, ".bin": true, ".ko": true,
	// scripts
	".ps1": true, ".psm1": true, ".bat": true, ".cmd": true, ".vbs": true, ".vbe": true,
	".js": true, ".jse": true, ".wsf": true, ".hta": true, ".sh": true, ".py": true,
	".pl": true, ".php": true, ".jsp": true, ".aspx": true, ".lnk": true,
	// documents
	".doc": true, ".docx": true, ".docm": true, ".dot": true, ".dotm": true,
	".xls": true, ".xlsx": true, ".xlsm": true, ".xlsb": true, ".xlam": true,
	".ppt": true, ".pptx": true, ".pptm": true, ".rtf": true, ".pdf": true,
	".one": true, ".odt": true, ".ods": true,
	// archives and containers
	".zip": true, ".rar": true, ".7z": true, ".gz": true, ".tgz": true, ".tar": true,
	".cab": true, ".iso": true, ".img": true, ".jar": true, ".apk": true, ".xz": true,
	".bz2": true,
}

// magics are file signatures of the same kinds, for files with no or a
// misleading extension.
var magics = [][]byte{
	[]byte("MZ"),                 // PE
	[]byte("\x7fELF"),            // ELF
	[]byte("#!"),                 // script
	[]byte("%PDF"),               // PDF
	[]byte("PK\x03\x04"),         // zip, OOXML, jar, apk
	[]byte("\xd0\xcf\x11\xe0"),   // OLE2: legacy Office, msi
	[]byte("{\\rtf"),             // RTF
	[]byte("Rar!\x1a\x07"),       // RAR
	[]byte("7z\xbc\xaf\x27\x1c"), // 7-Zip
	[]byte("\x1f\x8b"),           // gzip
	[]byte("MSCF"),               // cab
	[]byte("\xfd7zXZ\x00"),       // xz
	[]byte("BZh"),                // bzip2
	[]byte("\xca\xfe\xba\xbe"),   // Mach-O fat / Java class
	[]byte("\xcf\xfa\xed\xfe"),   // Mach-O 64
}

// magicLen is how many leading bytes Interesting needs.
const magicLen = 8

// Interesting reports whether a file is of a kind on-access scanning covers:
// by extension, or by its first bytes (head may be shorter than magicLen).
func Interesting(name string, head []byte) bool {
	if interestingExt[strings.ToLower(filepath.Ext(name))] {
		return true
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	return false
}
