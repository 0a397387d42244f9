package inventory

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// OS identifies the operating system. Linux fields come from os-release;
// Windows fields from HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion.
type OS struct {
	Family          string   `json:"family"` // "linux" or "windows"
	ID              string   `json:"id,omitempty"`
	IDLike          []string `json:"id_like,omitempty"`
	Name            string   `json:"name,omitempty"`
	PrettyName      string   `json:"pretty_name,omitempty"`
	Version         string   `json:"version,omitempty"`
	VersionID       string   `json:"version_id,omitempty"`
	VersionCodename string   `json:"version_codename,omitempty"`

	// Windows only.
	ProductName      string `json:"product_name,omitempty"`
	EditionID        string `json:"edition_id,omitempty"`
	InstallationType string `json:"installation_type,omitempty"` // Client, Server, Server Core
	DisplayVersion   string `json:"display_version,omitempty"`   // 22H2
	Build            int    `json:"build,omitempty"`             // CurrentBuild, e.g. 19045
	UBR              int    `json:"ubr,omitempty"`               // update build revision
	MajorMinor       string `json:"major_minor,omitempty"`       // 6.1, 6.3, 10.0
}

// maxOSRelease bounds what is read from an os-release file.
const maxOSRelease = 64 << 10

// ParseOSRelease reads an os-release(5) file: KEY=value lines, values
// optionally quoted with shell-style escapes.
func ParseOSRelease(r io.Reader) (OS, error) {
	o := OS{Family: "linux"}
	sc := bufio.NewScanner(io.LimitReader(r, maxOSRelease))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return o, fmt.Errorf("os-release line %d: missing '='", n)
		}
		v = unquoteShell(v)
		switch k {
		case "ID":
			o.ID = strings.ToLower(v)
		case "ID_LIKE":
			o.IDLike = strings.Fields(strings.ToLower(v))
		case "NAME":
			o.Name = v
		case "PRETTY_NAME":
			o.PrettyName = v
		case "VERSION":
			o.Version = v
		case "VERSION_ID":
			o.VersionID = v
		case "VERSION_CODENAME":
			o.VersionCodename = v
		}
	}
	if err := sc.Err(); err != nil {
		return o, fmt.Errorf("reading os-release: %w", err)
	}
	if o.ID == "" {
		o.ID = "linux" // os-release(5) default
	}
	return o, nil
}

func unquoteShell(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		q := v[0]
		v = v[1 : len(v)-1]
		if q == '"' {
			var b strings.Builder
			for i := 0; i < len(v); i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				b.WriteByte(v[i])
			}
			v = b.String()
		}
	}
	return v
}

// Ecosystem returns the OSV ecosystem of the OS's packages: "Debian:12",
// "Ubuntu:22.04:LTS", "Alpine:v3.19", "Red Hat:9", "Rocky Linux:9",
// "AlmaLinux:9", "openEuler:22.03-LTS-SP1". Unknown systems give "".
func (o OS) Ecosystem() string {
	major := o.VersionID
	if i := strings.IndexByte(major, '.'); i >= 0 {
		major = major[:i]
	}
	switch o.ID {
	case "debian":
		if o.VersionID == "" {
			return "Debian" // testing/sid carry no VERSION_ID
		}
		return "Debian:" + major
	case "ubuntu":
		eco := "Ubuntu:" + o.VersionID
		if strings.Contains(o.Version, "LTS") {
			eco += ":LTS"
		}
		return eco
	case "alpine":
		parts := strings.SplitN(o.VersionID, ".", 3)
		if len(parts) >= 2 {
			return "Alpine:v" + parts[0] + "." + parts[1]
		}
		return "Alpine"
	case "rhel":
		return "Red Hat:" + major
	case "rocky":
		return "Rocky Linux:" + major
	case "almalinux":
		return "AlmaLinux:" + major
	case "openeuler":
		// VERSION="22.03 (LTS-SP1)" → openEuler:22.03-LTS-SP1
		eco := "openEuler:" + o.VersionID
		if i, j := strings.IndexByte(o.Version, '('), strings.IndexByte(o.Version, ')'); i >= 0 && j > i+1 {
			eco += "-" + strings.ReplaceAll(o.Version[i+1:j], " ", "-")
		}
		return eco
	}
	return ""
}

// IsLike reports whether the OS is id or declares itself like id.
func (o OS) IsLike(id string) bool {
	if o.ID == id {
		return true
	}
	for _, l := range o.IDLike {
		if l == id {
			return true
		}
	}
	return false
}

// WindowsVersion returns "major.minor.build.ubr" for Windows hosts.
func (o OS) WindowsVersion() string {
	mm := o.MajorMinor
	if mm == "" {
		mm = "10.0"
	}
	return mm + "." + strconv.Itoa(o.Build) + "." + strconv.Itoa(o.UBR)
}
