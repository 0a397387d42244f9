package rules

import "embed"

// Yara holds medshield's own starter YARA rules (rules/yara/*.yar), used by
// `medshield scan` when no --rules are given.
//
//go:embed yara
var Yara embed.FS
