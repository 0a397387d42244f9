package rules

import "embed"

// Sigma holds rules/sigma: the logsource mapping (sigma/logsources.yml) and
// medshield's own Sigma rules, if any. Paths inside start with "sigma/".
//
//go:embed sigma
var Sigma embed.FS
