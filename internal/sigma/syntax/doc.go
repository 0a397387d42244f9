// Package syntax reads Sigma rule files: YAML documents (detection,
// correlation and filter rules, Sigma specification v2.1.0) with their
// positions, and condition expressions into a small syntax tree.
//
// It does not interpret values (wildcards, modifiers), map log sources or
// match events: that is package sigma's compiler. Errors are reported as
// Diagnostics with file:line:col; a bad document never stops the others.
//
// Imported by internal/sigma only; other packages use sigma's API.
package syntax
