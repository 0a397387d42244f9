// Package vuln turns an inventory and an OSV database into findings: which
// known vulnerabilities affect which installed packages, with the fixed
// version, the severity and every advisory id, each finding explaining
// itself (package, installed version, affected range, fixed version,
// advisories).
//
// Matching is exact: distribution packages are matched by their source
// package name and version in the host's release-scoped ecosystem
// ("Debian:12", never bare "Debian"), aliases are merged so that one CVE
// gives one finding per source package listing its DSA/DLA/USN ids, and
// withdrawn records are ignored.
//
// Subpackages: version (deb/rpm/apk/semver ordering), inventory (what is
// installed), osv (records, ranges, in-memory DB), cvss (scores), winpatch
// (offline Windows patch checks), sca (baseline policies). vuln imports no
// agent, server, store or console code; the server uses Matcher to
// re-match stored inventories when the database changes.
package vuln
