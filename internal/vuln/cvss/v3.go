package cvss

import (
	"fmt"
	"math"
	"strings"
)

// V3 is a parsed CVSS v3.x vector (base metrics; temporal and
// environmental metrics are accepted and ignored by BaseScore).
type V3 struct {
	Version string            // "3.0" or "3.1"
	Metrics map[string]string // all metrics as given
}

var v3Base = map[string]map[string]float64{
	"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
	"AC": {"L": 0.77, "H": 0.44},
	"PR": {"N": 0.85, "L": 0.62, "H": 0.27}, // L and H change with scope
	"UI": {"N": 0.85, "R": 0.62},
	"S":  {"U": 0, "C": 1},
	"C":  {"H": 0.56, "L": 0.22, "N": 0},
	"I":  {"H": 0.56, "L": 0.22, "N": 0},
	"A":  {"H": 0.56, "L": 0.22, "N": 0},
}

var v3Optional = map[string]string{
	"E": "XUPFH", "RL": "XOTWU", "RC": "XURC", "CR": "XLMH", "IR": "XLMH", "AR": "XLMH",
	"MAV": "XNALP", "MAC": "XLH", "MPR": "XNLH", "MUI": "XNR", "MS": "XUC", "MC": "XNLH", "MI": "XNLH", "MA": "XNLH",
}

// ParseV3 parses "CVSS:3.1/AV:N/AC:L/...". Every base metric is required,
// each at most once, with a valid value.
func ParseV3(vec string) (V3, error) {
	parts := strings.Split(strings.TrimSpace(vec), "/")
	var v V3
	switch parts[0] {
	case "CVSS:3.1":
		v.Version = "3.1"
	case "CVSS:3.0":
		v.Version = "3.0"
	default:
		return V3{}, fmt.Errorf("cvss v3 vector %q: must start with CVSS:3.0/ or CVSS:3.1/", vec)
	}
	v.Metrics = make(map[string]string, len(parts))
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(p, ":")
		if !ok {
			return V3{}, fmt.Errorf("cvss v3 vector %q: bad metric %q", vec, p)
		}
		if _, dup := v.Metrics[k]; dup {
			return V3{}, fmt.Errorf("cvss v3 vector %q: metric %s repeated", vec, k)
		}
		if vals, ok := v3Base[k]; ok {
			if _, ok := vals[val]; !ok {
				return V3{}, fmt.Errorf("cvss v3 vector %q: %s:%s is not a valid value", vec, k, val)
			}
		} else if allowed, ok := v3Optional[k]; ok {
			if len(val) != 1 || !strings.Contains(allowed, val) {
				return V3{}, fmt.Errorf("cvss v3 vector %q: %s:%s is not a valid value", vec, k, val)
			}
		} else {
			return V3{}, fmt.Errorf("cvss v3 vector %q: unknown metric %q", vec, k)
		}
		v.Metrics[k] = val
	}
	for k := range v3Base {
		if _, ok := v.Metrics[k]; !ok {
			return V3{}, fmt.Errorf("cvss v3 vector %q: missing base metric %s", vec, k)
		}
	}
	return v, nil
}

// roundup is CVSS 3.1's Roundup: the smallest one-decimal number ≥ x,
// computed on integers to avoid floating-point artefacts.
func roundup(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// BaseScore computes the v3 base score.
func (v V3) BaseScore() float64 {
	m := v.Metrics
	changed := m["S"] == "C"
	pr := v3Base["PR"][m["PR"]]
	if changed {
		switch m["PR"] {
		case "L":
			pr = 0.68
		case "H":
			pr = 0.5
		}
	}
	iss := 1 - (1-v3Base["C"][m["C"]])*(1-v3Base["I"][m["I"]])*(1-v3Base["A"][m["A"]])
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	expl := 8.22 * v3Base["AV"][m["AV"]] * v3Base["AC"][m["AC"]] * pr * v3Base["UI"][m["UI"]]
	if impact <= 0 {
		return 0
	}
	if changed {
		return roundup(math.Min(1.08*(impact+expl), 10))
	}
	return roundup(math.Min(impact+expl, 10))
}
