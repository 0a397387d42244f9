package vuln

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteJSONL writes one finding per line.
func WriteJSONL(w io.Writer, fs []Finding) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, f := range fs {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}

// WriteTable writes findings as an aligned table followed by counts per
// severity.
func WriteTable(w io.Writer, fs []Finding) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tSCORE\tID\tSOURCE PACKAGE\tINSTALLED\tFIXED\tADVISORIES")
	counts := map[string]int{}
	for _, f := range fs {
		counts[f.Severity]++
		score := ""
		if f.Score > 0 {
			score = fmt.Sprintf("%.1f", f.Score)
		}
		fixed := f.FixedVersion
		if fixed == "" {
			fixed = "(no fix)"
		}
		var adv []string
		for _, id := range f.IDs {
			if id != f.Key {
				adv = append(adv, id)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, score, f.Key, f.SourcePackage, f.InstalledVersion, fixed, strings.Join(adv, ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, s := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], strings.ToLower(s)))
		}
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	_, err := fmt.Fprintf(w, "\n%d findings: %s\n", len(fs), strings.Join(parts, ", "))
	return err
}
