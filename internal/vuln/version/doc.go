// Package version compares package version strings the way each packaging
// system does: Debian (dpkg's deb-version: epoch, upstream, revision, tilde),
// RPM (rpmvercmp on epoch:version-release, with tilde and caret) and SemVer
// 2.0.0 (as OSV's SEMVER ranges use it: arbitrary-size numbers, extra
// components tolerated, build metadata ignored).
//
// It does not parse version constraints or ranges; the OSV matcher does that
// with the comparators here. It has no dependencies and may be imported by
// any medshield package.
package version
