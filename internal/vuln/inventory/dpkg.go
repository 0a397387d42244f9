package inventory

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Limits for untrusted dpkg status files.
const (
	maxDpkgLine    = 1 << 20
	maxDpkgPackage = 1 << 20 // packages per file
)

// ParseDpkgStatus reads /var/lib/dpkg/status and returns the installed
// packages with their source names and versions ("Source: glibc (2.36-9)").
// Stanzas whose status is not-installed or config-files are skipped;
// malformed stanzas are reported in warnings and skipped.
func ParseDpkgStatus(r io.Reader) (pkgs []Package, warnings []string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxDpkgLine)
	var cur map[string]string
	var lastKey string
	start, n := 0, 0
	flush := func() {
		if cur == nil {
			return
		}
		p, ok, w := dpkgPackage(cur)
		if w != "" {
			warnings = append(warnings, fmt.Sprintf("stanza at line %d: %s", start, w))
		}
		if ok && len(pkgs) < maxDpkgPackage {
			pkgs = append(pkgs, p)
		}
		cur = nil
	}
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			// Continuation lines (Description, Conffiles) are not needed.
			if cur == nil {
				warnings = append(warnings, fmt.Sprintf("line %d: continuation line outside a stanza", n))
			}
			_ = lastKey
			continue
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			warnings = append(warnings, fmt.Sprintf("line %d: field without ':'", n))
			continue
		}
		if cur == nil {
			cur = make(map[string]string, 8)
			start = n
		}
		key := string(k)
		switch key {
		case "Package", "Status", "Version", "Source", "Architecture":
			cur[key] = string(bytes.TrimSpace(v))
		}
		lastKey = key
	}
	if err := sc.Err(); err != nil {
		return pkgs, warnings, fmt.Errorf("reading dpkg status at line %d: %w", n, err)
	}
	flush()
	return pkgs, warnings, nil
}

func dpkgPackage(f map[string]string) (Package, bool, string) {
	name, ver := f["Package"], f["Version"]
	if name == "" {
		return Package{}, false, "no Package field"
	}
	if st := strings.Fields(f["Status"]); len(st) == 3 {
		switch st[2] {
		case "not-installed", "config-files":
			return Package{}, false, ""
		}
	}
	if ver == "" {
		return Package{}, false, fmt.Sprintf("package %q has no Version", name)
	}
	p := Package{Name: name, Version: ver, Arch: f["Architecture"], Manager: Dpkg}
	if src := f["Source"]; src != "" {
		// "Source: name" or "Source: name (version)" when versions differ.
		sname, rest, _ := strings.Cut(src, " ")
		p.SourceName = sname
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
			p.SourceVersion = strings.TrimSpace(rest[1 : len(rest)-1])
		}
	}
	if p.SourceName == "" {
		p.SourceName = name
	}
	if p.SourceVersion == "" {
		p.SourceVersion = ver
	}
	return p, true, ""
}
