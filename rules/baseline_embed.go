package rules

import "embed"

// Baseline holds rules/baseline: medshield's own security-baseline
// policies (Wazuh-SCA-style YAML, evaluated by internal/vuln/sca), each
// check mapped to GB/T 22239-2019 (等保2.0) level-3 host controls and to
// CIS recommendations. Paths inside start with "baseline/".
//
//go:embed baseline
var Baseline embed.FS
