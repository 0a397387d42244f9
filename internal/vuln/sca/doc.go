// Package sca evaluates security baselines written as Wazuh-SCA-style YAML
// policies (policy, requirements, variables, checks): rule types f: (file),
// d: (directory), p: (process), c: (command) and r: (registry), content
// operators r: (regex), n: (numeric capture with compare), literal lines,
// ! negation and && chains, check conditions all/any/none, and results
// passed, failed or not applicable, each with the reason.
//
// Everything is read through an Env: a filesystem root (so tests and
// offline audits evaluate a fake or mounted root), an optional command
// runner (commands are never run unless one is given), an optional
// registry (live or a recorded .reg file) and a process lister.
//
// Regular expressions are Go's RE2: PCRE-only constructs (lookaround,
// backreferences) make the rule "not applicable" with the compile error.
// Imported by the baseline CLI and the agent.
package sca
