package guard

import (
	"os"
	"path/filepath"
	"strings"
)

// Canary (decoy) files. Ransomware walks folders in name order (NTFS returns
// sorted names; most tools sort), so a decoy that sorts first is usually the
// first file it touches, and one that sorts last catches reverse walks. They
// are hidden from users: a leading dot (hidden on Linux), a trailing "~"
// (hidden by desktop file managers as a backup file) and, on Windows, the
// hidden attribute (see canary_windows.go). Their content is an ordinary
// low-entropy document so that a content check cannot tell them apart.
var canaryNames = []string{".!!medshield-0000-do-not-edit.rtf", "~~~~medshield-zzzz-do-not-edit.rtf~"}

const canaryContent = `{\rtf1\ansi\deff0 {\fonttbl {\f0 Times New Roman;}}
\f0\fs24 Patient referral summary\par
Department: Internal Medicine\par
This document is part of the hospital's records management system.\par
Please do not move, rename or edit this file.\par
`

// placeCanaries writes the decoys into dir if missing and returns their
// paths.
func placeCanaries(dir string) []string {
	var out []string
	for _, name := range canaryNames {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); err != nil {
			// About 24 KB: large enough that families skipping small files
			// (or encrypting only part of each file) still take the bait.
			content := canaryContent + strings.Repeat("Reference retained for audit purposes; see the records policy.\\par\n", 380) + "}\n"
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				continue
			}
			hide(p)
		}
		out = append(out, p)
	}
	return out
}

// IsCanary reports whether a file name is one of the shield's decoys.
func IsCanary(path string) bool {
	base := filepath.Base(path)
	for _, n := range canaryNames {
		if base == n {
			return true
		}
	}
	return false
}
