// Package osv reads vulnerability records in the OSV schema (1.7), checks
// them like the OSV linter's structural rules, and decides whether a
// version is affected by an "affected" entry exactly as the schema's
// evaluation algorithm says (introduced / fixed / last_affected / limit
// events, explicit versions lists; ECOSYSTEM and SEMVER ranges; GIT
// ranges are kept but cannot be evaluated against installed packages).
//
// It loads records from directories of .json files and from the all.zip
// exports osv.dev publishes per ecosystem into an in-memory DB indexed by
// (ecosystem release, package name). It does not decide what a finding is
// (package vuln does that) and never downloads anything.
package osv
