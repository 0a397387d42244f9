package sca

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteJSONL writes one line per check result.
func WriteJSONL(w io.Writer, rs []PolicyResult) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range rs {
		if !r.Applicable {
			if err := enc.Encode(map[string]any{"policy_id": r.PolicyID, "status": "not applicable", "reason": r.Reason}); err != nil {
				return err
			}
			continue
		}
		for _, c := range r.Checks {
			if err := enc.Encode(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteText writes a readable report: per policy its score, then every
// check with its status, and for failed checks the reason and remediation.
func WriteText(w io.Writer, rs []PolicyResult, verbose bool) error {
	for _, r := range rs {
		if !r.Applicable {
			fmt.Fprintf(w, "%s (%s): not applicable: %s\n\n", r.PolicyID, r.Path, r.Reason)
			continue
		}
		fmt.Fprintf(w, "%s — %s\n  score %.0f%%: %d passed, %d failed, %d not applicable\n", r.PolicyID, r.Name, r.Score(), r.Passed, r.Failed, r.NA)
		for _, c := range r.Checks {
			mark := map[Status]string{Passed: "PASS", Failed: "FAIL", NotApplicable: "N/A "}[c.Status]
			fmt.Fprintf(w, "  [%s] %d %s", mark, c.ID, c.Title)
			if ids := c.Compliance["dengbao_l3"]; len(ids) > 0 {
				codes := make([]string, len(ids))
				for i, id := range ids {
					codes[i], _, _ = strings.Cut(id, " ")
				}
				fmt.Fprintf(w, "  (等保 %s)", strings.Join(codes, ","))
			}
			fmt.Fprintln(w)
			if c.Status == Failed || (verbose && c.Status == NotApplicable) {
				fmt.Fprintf(w, "         why: %s\n", c.Reason)
				if c.Status == Failed && c.Remediation != "" {
					fmt.Fprintf(w, "         fix: %s\n", c.Remediation)
				}
			}
		}
		fmt.Fprintln(w)
	}
	return nil
}
