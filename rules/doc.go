// Package rules embeds medshield's own default rule content (Sigma logsource
// mappings and rules, and in time YARA rules, baselines and indicator lists)
// so that the single binary works without a rules directory.
//
// It holds data only, no logic. Engines import it for their defaults.
package rules
