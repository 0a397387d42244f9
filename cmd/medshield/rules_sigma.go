package main

import (
	"context"
	"fmt"
	"os"

	"github.com/medshield/medshield/internal/sigma/syntax"
)

// checkSigmaRules loads Sigma rules and prints rejected ones; it returns the
// number of rejected rules.
func checkSigmaRules(ctx context.Context, e *env, paths []string, mapping string) (int, error) {
	rs, diags, err := loadSigma(paths, mapping)
	if err != nil {
		return 0, err
	}
	byCode := map[string]int{}
	sources := map[string][]byte{}
	for _, d := range diags {
		src, ok := sources[d.Pos.File]
		if !ok && d.Pos.File != "" {
			src, _ = os.ReadFile(d.Pos.File) // nil: no snippet
			sources[d.Pos.File] = src
		}
		fmt.Fprintln(e.stdout, d.Render(src))
		if d.Severity == syntax.Error {
			byCode[d.Code]++
		}
	}
	st := rs.Stats
	fmt.Fprintf(e.stdout, "sigma: %d files, %d rule documents: %d detection rules loaded (%d for products without a mapping), %d correlations, %d meta-filters, %d rejected\n",
		st.Files, st.Documents, st.Loaded, st.Unrouted, st.Correlation, st.Filters, st.Rejected)
	if len(byCode) > 0 {
		fmt.Fprintf(e.stdout, "sigma: errors by code:")
		for _, c := range []string{syntax.CodeYAML, syntax.CodeStructure, syntax.CodeCondition, syntax.CodeModifier, syntax.CodeValue,
			syntax.CodeRegex, syntax.CodePlaceholder, syntax.CodeLogsource, syntax.CodeCorrelation, syntax.CodeFilter,
			syntax.CodeLimit, syntax.CodeDuplicate, syntax.CodeObsolete} {
			if byCode[c] > 0 {
				fmt.Fprintf(e.stdout, " %s=%d", c, byCode[c])
			}
		}
		fmt.Fprintln(e.stdout, " (see docs/sigma.md)")
	}
	return st.Rejected, nil
}
