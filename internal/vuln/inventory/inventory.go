package inventory

import "strings"

// Manager names the packaging system a package came from.
type Manager string

const (
	Dpkg    Manager = "dpkg"
	RPMDB   Manager = "rpm"
	APK     Manager = "apk"
	Windows Manager = "windows"
	GoBin   Manager = "go"
	NPM     Manager = "npm"
	Pip     Manager = "pip"
	Poetry  Manager = "poetry"
)

// Package is one installed package. For distribution packages SourceName
// and SourceVersion are what advisories are written against (Debian's
// Source:, rpm's SOURCERPM, apk's origin); they equal Name/Version when the
// package manager records no source.
type Package struct {
	Name          string  `json:"name"`
	Version       string  `json:"version"`
	SourceName    string  `json:"source_name,omitempty"`
	SourceVersion string  `json:"source_version,omitempty"`
	Arch          string  `json:"arch,omitempty"`
	Manager       Manager `json:"manager"`
	// Ecosystem is the OSV ecosystem the package belongs to, for example
	// "Debian:12" or "Go"; empty when unknown.
	Ecosystem string `json:"ecosystem,omitempty"`
	// Location is where the package was found (a binary's path, the
	// database file); informational.
	Location string `json:"location,omitempty"`
	// Publisher is set for Windows programs.
	Publisher string `json:"publisher,omitempty"`
}

// Source returns the package's source name and version, falling back to
// the binary name and version.
func (p Package) Source() (name, version string) {
	name, version = p.SourceName, p.SourceVersion
	if name == "" {
		name = p.Name
	}
	if version == "" {
		version = p.Version
	}
	return name, version
}

// Inventory is everything known about one host's installed software.
type Inventory struct {
	Host     string    `json:"host,omitempty"`
	OS       OS        `json:"os"`
	Packages []Package `json:"packages"`
	// Hotfixes are installed Windows updates as upper-case "KBnnnnnnn".
	Hotfixes []string `json:"hotfixes,omitempty"`
	// Files maps lower-case file names to versions of files that patch
	// checks look at (Windows: "srv.sys").
	Files map[string]string `json:"files,omitempty"`
	// Warnings are non-fatal problems met while collecting (a database that
	// could not be read, a malformed stanza); one never stops the rest.
	Warnings []string `json:"warnings,omitempty"`
}

// SetEcosystem fills the ecosystem of every distribution package that has
// none from the OS identity.
func (inv *Inventory) SetEcosystem() {
	eco := inv.OS.Ecosystem()
	if eco == "" {
		return
	}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if p.Ecosystem == "" && (p.Manager == Dpkg || p.Manager == RPMDB || p.Manager == APK) {
			p.Ecosystem = eco
		}
	}
}

// normKB returns "KB1234567" for "kb1234567", "1234567" or "KB1234567".
func normKB(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "KB")
	if s == "" {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return ""
		}
	}
	return "KB" + s
}
