package cvss

import (
	"fmt"
	"math"
	"strings"
)

// V4 is a parsed CVSS v4.0 vector.
type V4 struct {
	Metrics map[string]string
}

// v4Values lists every metric's allowed values; the first 11 are base
// metrics and mandatory.
var v4Values = map[string]string{
	"AV": "NALP", "AC": "LH", "AT": "NP", "PR": "NLH", "UI": "NPA",
	"VC": "HLN", "VI": "HLN", "VA": "HLN", "SC": "HLN", "SI": "HLN", "SA": "HLN",
	"E":  "XAPU",
	"CR": "XHML", "IR": "XHML", "AR": "XHML",
	"MAV": "XNALP", "MAC": "XLH", "MAT": "XNP", "MPR": "XNLH", "MUI": "XNPA",
	"MVC": "XHLN", "MVI": "XHLN", "MVA": "XHLN", "MSC": "XHLN", "MSI": "XSHLN", "MSA": "XSHLN",
	"S": "XNP", "AU": "XNY", "R": "XAUI", "V": "XDC", "RE": "XLMH", "U": "X", // U takes words, checked below
}

var v4Base = []string{"AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"}

// ParseV4 parses "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/...".
func ParseV4(vec string) (V4, error) {
	parts := strings.Split(strings.TrimSpace(vec), "/")
	if parts[0] != "CVSS:4.0" {
		return V4{}, fmt.Errorf("cvss v4 vector %q: must start with CVSS:4.0/", vec)
	}
	v := V4{Metrics: make(map[string]string, len(parts))}
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(p, ":")
		if !ok {
			return V4{}, fmt.Errorf("cvss v4 vector %q: bad metric %q", vec, p)
		}
		allowed, known := v4Values[k]
		if !known {
			return V4{}, fmt.Errorf("cvss v4 vector %q: unknown metric %q", vec, k)
		}
		if _, dup := v.Metrics[k]; dup {
			return V4{}, fmt.Errorf("cvss v4 vector %q: metric %s repeated", vec, k)
		}
		if k == "U" {
			switch val {
			case "X", "Clear", "Green", "Amber", "Red":
			default:
				return V4{}, fmt.Errorf("cvss v4 vector %q: U:%s is not a valid value", vec, val)
			}
		} else if len(val) != 1 || !strings.Contains(allowed, val) {
			return V4{}, fmt.Errorf("cvss v4 vector %q: %s:%s is not a valid value", vec, k, val)
		}
		v.Metrics[k] = val
	}
	for _, k := range v4Base {
		if _, ok := v.Metrics[k]; !ok {
			return V4{}, fmt.Errorf("cvss v4 vector %q: missing base metric %s", vec, k)
		}
	}
	return v, nil
}

// eff returns a metric's effective value: a modified (M*) metric overrides
// the base one, and unset E, CR, IR, AR take their worst case.
func (v V4) eff(m string) string {
	if mv, ok := v.Metrics["M"+m]; ok && mv != "X" {
		return mv
	}
	val, ok := v.Metrics[m]
	if !ok || val == "X" {
		switch m {
		case "E":
			return "A"
		case "CR", "IR", "AR":
			return "H"
		}
	}
	return val
}

// macroVector computes the six equivalence-class digits.
func (v V4) macroVector() [6]int {
	av, pr, ui := v.eff("AV"), v.eff("PR"), v.eff("UI")
	var eq [6]int
	switch {
	case av == "N" && pr == "N" && ui == "N":
		eq[0] = 0
	case (av == "N" || pr == "N" || ui == "N") && av != "P":
		eq[0] = 1
	default:
		eq[0] = 2
	}
	if !(v.eff("AC") == "L" && v.eff("AT") == "N") {
		eq[1] = 1
	}
	vc, vi, va := v.eff("VC"), v.eff("VI"), v.eff("VA")
	switch {
	case vc == "H" && vi == "H":
		eq[2] = 0
	case vc == "H" || vi == "H" || va == "H":
		eq[2] = 1
	default:
		eq[2] = 2
	}
	switch {
	case v.eff("MSI") == "S" || v.eff("MSA") == "S":
		eq[3] = 0
	case v.eff("SC") == "H" || v.eff("SI") == "H" || v.eff("SA") == "H":
		eq[3] = 1
	default:
		eq[3] = 2
	}
	switch v.eff("E") {
	case "P":
		eq[4] = 1
	case "U":
		eq[4] = 2
	}
	if !(v.eff("CR") == "H" && vc == "H" || v.eff("IR") == "H" && vi == "H" || v.eff("AR") == "H" && va == "H") {
		eq[5] = 1
	}
	return eq
}

// v4Levels gives each metric value's severity level for distances.
var v4Levels = map[string]map[string]float64{
	"AV": {"N": 0, "A": 0.1, "L": 0.2, "P": 0.3},
	"PR": {"N": 0, "L": 0.1, "H": 0.2},
	"UI": {"N": 0, "P": 0.1, "A": 0.2},
	"AC": {"L": 0, "H": 0.1},
	"AT": {"N": 0, "P": 0.1},
	"VC": {"H": 0, "L": 0.1, "N": 0.2},
	"VI": {"H": 0, "L": 0.1, "N": 0.2},
	"VA": {"H": 0, "L": 0.1, "N": 0.2},
	"SC": {"H": 0.1, "L": 0.2, "N": 0.3},
	"SI": {"S": 0, "H": 0.1, "L": 0.2, "N": 0.3},
	"SA": {"S": 0, "H": 0.1, "L": 0.2, "N": 0.3},
	"CR": {"H": 0, "M": 0.1, "L": 0.2},
	"IR": {"H": 0, "M": 0.1, "L": 0.2},
	"AR": {"H": 0, "M": 0.1, "L": 0.2},
	"E":  {"U": 0.2, "P": 0.1, "A": 0},
}

var v4LevelOrder = []string{"AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR", "E"}

// Highest-severity vectors of each MacroVector class, per EQ (FIRST's
// MAX_COMPOSED); EQ3 is indexed by EQ3 then EQ6.
var (
	v4MaxEQ1 = [][]string{{"AV:N/PR:N/UI:N/"}, {"AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/"}, {"AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/"}}
	v4MaxEQ2 = [][]string{{"AC:L/AT:N/"}, {"AC:H/AT:N/", "AC:L/AT:P/"}}
	v4MaxEQ3 = [3][2][]string{
		{{"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/"}, {"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/"}},
		{{"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/"}, {"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/"}},
		{nil, {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/"}},
	}
	v4MaxEQ4 = [][]string{{"SC:H/SI:S/SA:S/"}, {"SC:H/SI:H/SA:H/"}, {"SC:L/SI:L/SA:L/"}}
	v4MaxEQ5 = [][]string{{"E:A/"}, {"E:P/"}, {"E:U/"}}

	// Depth of each class in steps of 0.1 (FIRST's MAX_SEVERITY).
	v4DepthEQ1   = []float64{1, 4, 5}
	v4DepthEQ2   = []float64{1, 2}
	v4DepthEQ3_6 = [3][2]float64{{7, 6}, {8, 8}, {0, 10}}
	v4DepthEQ4   = []float64{6, 5, 4}
)

func mvKey(eq [6]int) string {
	b := make([]byte, 6)
	for i, d := range eq {
		b[i] = byte('0' + d)
	}
	return string(b)
}

// lookup returns the MacroVector score, or NaN when the class does not
// exist (a missing "next lower" class is ignored by the caller).
func lookup(eq [6]int) float64 {
	for _, d := range eq {
		if d > 9 {
			return math.NaN()
		}
	}
	if s, ok := v4Lookup[mvKey(eq)]; ok {
		return s
	}
	return math.NaN()
}

// parseMax turns "AV:N/PR:N/UI:N/" fragments into a metric map.
func parseMax(s string) map[string]string {
	m := map[string]string{}
	for _, p := range strings.Split(strings.TrimSuffix(s, "/"), "/") {
		if k, v, ok := strings.Cut(p, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// Score computes the CVSS v4.0 score (CVSS-B, -BT, -BE or -BTE depending on
// which metrics the vector sets).
func (v V4) Score() float64 {
	noImpact := true
	for _, m := range []string{"VC", "VI", "VA", "SC", "SI", "SA"} {
		if v.eff(m) != "N" {
			noImpact = false
		}
	}
	if noImpact {
		return 0
	}
	eq := v.macroVector()
	value := lookup(eq)
	next := func(i int) float64 { e := eq; e[i]++; return lookup(e) }
	nextEQ1, nextEQ2, nextEQ4, nextEQ5 := next(0), next(1), next(3), next(4)
	var nextEQ36 float64
	switch {
	case eq[2] == 0 && eq[5] == 0:
		l, r := eq, eq
		l[5]++
		r[2]++
		// As in the reference (JavaScript Math.max), a missing side is NaN.
		nextEQ36 = math.Max(lookup(l), lookup(r))
	case eq[2] == 1 && eq[5] == 0:
		e := eq
		e[5]++
		nextEQ36 = lookup(e)
	case eq[2] == 2 && eq[5] == 1:
		e := eq
		e[2]++
		e[5]++
		nextEQ36 = lookup(e)
	default: // 01 → 11, 11 → 21
		e := eq
		e[2]++
		nextEQ36 = lookup(e)
	}

	// Find the first highest-severity vector of this MacroVector that is
	// at least as severe as v in every metric.
	var dist map[string]float64
	for _, a := range v4MaxEQ1[eq[0]] {
		for _, b := range v4MaxEQ2[eq[1]] {
			for _, c := range v4MaxEQ3[eq[2]][eq[5]] {
				for _, d := range v4MaxEQ4[eq[3]] {
					for _, e := range v4MaxEQ5[eq[4]] {
						max := parseMax(a + b + c + d + e)
						dist = make(map[string]float64, len(v4LevelOrder))
						ok := true
						for _, m := range v4LevelOrder {
							dist[m] = v4Levels[m][v.eff(m)] - v4Levels[m][max[m]]
							if dist[m] < 0 {
								ok = false
							}
						}
						if ok {
							goto found
						}
					}
				}
			}
		}
	}
found:
	const step = 0.1
	cur := [5]float64{
		dist["AV"] + dist["PR"] + dist["UI"],
		dist["AC"] + dist["AT"],
		dist["VC"] + dist["VI"] + dist["VA"] + dist["CR"] + dist["IR"] + dist["AR"],
		dist["SC"] + dist["SI"] + dist["SA"],
		0,
	}
	depth := [5]float64{v4DepthEQ1[eq[0]] * step, v4DepthEQ2[eq[1]] * step, v4DepthEQ3_6[eq[2]][eq[5]] * step, v4DepthEQ4[eq[3]] * step, 1}
	nexts := [5]float64{nextEQ1, nextEQ2, nextEQ36, nextEQ4, nextEQ5}
	n, sum := 0, 0.0
	for i := range nexts {
		avail := value - nexts[i]
		if math.IsNaN(avail) {
			continue
		}
		n++
		if i == 4 {
			continue // EQ5's proportion is always 0
		}
		sum += avail * cur[i] / depth[i]
	}
	mean := 0.0
	if n > 0 {
		mean = sum / float64(n)
	}
	return round1(math.Max(0, math.Min(10, value-mean)))
}

// Score parses a v3 or v4 vector and returns its score and version.
func Score(vector string) (score float64, ver string, err error) {
	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		v, err := ParseV4(vector)
		if err != nil {
			return 0, "", err
		}
		return v.Score(), "4.0", nil
	case strings.HasPrefix(vector, "CVSS:3."):
		v, err := ParseV3(vector)
		if err != nil {
			return 0, "", err
		}
		return v.BaseScore(), v.Version, nil
	}
	return 0, "", fmt.Errorf("unsupported cvss vector %q", vector)
}
