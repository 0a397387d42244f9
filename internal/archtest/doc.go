// Package archtest holds repository-wide tests of medshield's structure:
// engines stay libraries (no imports of agent, server, store or console) and
// every package documents itself exactly once. It has no code; nothing
// imports it.
package archtest
