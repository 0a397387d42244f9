package version

import "strings"

// Scheme names a version-ordering scheme.
type Scheme int

const (
	SchemeUnknown Scheme = iota
	SchemeDeb
	SchemeRPM
	SchemeAPK
	SchemeSemVer
	SchemePEP440
)

func (s Scheme) String() string {
	return [...]string{"unknown", "deb", "rpm", "apk", "semver", "pep440"}[s]
}

// ForEcosystem returns the scheme an OSV ecosystem uses for ECOSYSTEM
// ranges. The distribution suffix (":12", ":22.04:LTS") is ignored.
func ForEcosystem(eco string) Scheme {
	base, _, _ := strings.Cut(eco, ":")
	switch base {
	case "Debian", "Ubuntu":
		return SchemeDeb
	case "Red Hat", "Rocky Linux", "AlmaLinux", "openEuler", "openSUSE", "SUSE", "Mageia", "Kylin", "CentOS", "Oracle Linux", "Fedora":
		return SchemeRPM
	case "Alpine", "Chainguard", "Wolfi":
		return SchemeAPK
	case "Go", "npm", "crates.io", "Hex", "Pub", "SwiftURL", "Bitnami":
		return SchemeSemVer
	case "PyPI":
		return SchemePEP440
	}
	return SchemeUnknown
}

// Compare compares a and b with scheme s. An unknown scheme compares as
// SemVer when both parse as SemVer, otherwise as Debian versions, which
// order most dotted numeric strings sensibly.
func Compare(s Scheme, a, b string) int {
	switch s {
	case SchemeDeb:
		return CompareDeb(a, b)
	case SchemeRPM:
		return CompareRPM(a, b)
	case SchemeAPK:
		return CompareAPK(a, b)
	case SchemeSemVer:
		return CompareSemVer(a, b)
	case SchemePEP440:
		return ComparePEP440(a, b)
	}
	if _, err := ParseSemVer(a); err == nil {
		if _, err := ParseSemVer(b); err == nil {
			return CompareSemVer(a, b)
		}
	}
	return CompareDeb(a, b)
}
