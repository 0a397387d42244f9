package inventory

import (
	"bufio"
	"fmt"
	"io"
)

// ParseAPKInstalled reads Alpine's /lib/apk/db/installed: one-letter
// fields (P: name, V: version, A: arch, o: origin = source package),
// packages separated by blank lines.
func ParseAPKInstalled(r io.Reader) ([]Package, []string, error) {
	var pkgs []Package
	var warnings []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxDpkgLine)
	var cur Package
	n, start := 0, 0
	flush := func() {
		if cur.Name == "" && cur.Version == "" {
			return
		}
		if cur.Name == "" || cur.Version == "" {
			warnings = append(warnings, fmt.Sprintf("entry at line %d: missing P: or V:", start))
		} else {
			if cur.SourceName == "" {
				cur.SourceName = cur.Name
			}
			cur.SourceVersion = cur.Version
			cur.Manager = APK
			pkgs = append(pkgs, cur)
		}
		cur = Package{}
	}
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		if cur.Name == "" && cur.Version == "" {
			start = n
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'o':
			cur.SourceName = v
		}
	}
	if err := sc.Err(); err != nil {
		return pkgs, warnings, fmt.Errorf("reading apk installed db at line %d: %w", n, err)
	}
	flush()
	return pkgs, warnings, nil
}
