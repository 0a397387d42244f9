// Package cvss parses CVSS v3.0/v3.1 and v4.0 vector strings and computes
// their scores: the v3 base score with the 3.1 Roundup, and the v4.0 score
// with FIRST's MacroVector lookup and severity-distance interpolation
// (covering base, threat and environmental metrics).
//
// It does not handle CVSS v2. Anything may import it.
package cvss

import "math"

// Rating returns the qualitative rating of a score: NONE, LOW, MEDIUM,
// HIGH or CRITICAL (the same bands in v3 and v4).
func Rating(score float64) string {
	switch {
	case score <= 0:
		return "NONE"
	case score < 4:
		return "LOW"
	case score < 7:
		return "MEDIUM"
	case score < 9:
		return "HIGH"
	}
	return "CRITICAL"
}

// round1 rounds half up to one decimal, with a small epsilon against
// binary floating-point error (as FIRST's v4 reference does).
func round1(x float64) float64 { return math.Round((x+1e-6)*10) / 10 }
