package rules

import "embed"

// Sigma holds rules/sigma: the logsource mapping (sigma/mapping/logsources.yml)
// and, under sigma/rules/, medshield's own Sigma rules when there are any.
// Paths inside start with "sigma/"; load rules from fs.Sub(Sigma,
// "sigma/rules") so the mapping is not read as a rule.
//
//go:embed sigma
var Sigma embed.FS
