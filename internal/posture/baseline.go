package posture

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/internal/vuln/sca"
	"github.com/medshield/medshield/rules"
)

// BaselineDataset is the event.dataset of baseline results.
const BaselineDataset = "host.baseline"

// Baseline evaluates medshield's embedded baseline policies (rules/baseline)
// that apply to this host and returns one state event per applicable
// policy: score, counts, and every failed check with its remediation and
// its 等保2.0 / CIS mappings. Commands of c: rules run only because the
// policies are medshield's own, shipped in the binary.
func Baseline(ctx context.Context) ([]event.Event, error) {
	sub, err := fs.Sub(rules.Baseline, "baseline")
	if err != nil {
		return nil, err
	}
	policies, _, err := sca.LoadFS(sub)
	if err != nil {
		return nil, fmt.Errorf("baseline policies: %w", err)
	}
	env := sca.Env{Commands: sca.ShellRunner{}, Registry: inventory.LiveRegistry()}
	var out []event.Event
	for _, p := range policies {
		r := sca.Evaluate(ctx, p, env)
		if !r.Applicable {
			continue
		}
		out = append(out, baselineEvent(r))
	}
	return out, nil
}

func baselineEvent(r sca.PolicyResult) event.Event {
	ev := event.New(event.KindState, BaselineDataset, "evaluate")
	ev.Category = "configuration"
	ev.Message = fmt.Sprintf("baseline %s: %.0f%% (%d passed, %d failed, %d not applicable)", r.Name, r.Score(), r.Passed, r.Failed, r.NA)
	var failed []string
	for _, c := range r.Checks {
		if c.Status != sca.Failed {
			continue
		}
		var controls []string
		for fw, ids := range c.Compliance {
			controls = append(controls, fw+":"+strings.Join(ids, "/"))
		}
		rem := c.Remediation
		if len(rem) > 300 {
			rem = rem[:300] + "…"
		}
		failed = append(failed, fmt.Sprintf("%d\t%s\t%s\t%s", c.ID, c.Title, strings.Join(controls, " "), rem))
	}
	ev.Fields = map[string]any{
		"baseline.policy": r.PolicyID, "baseline.name": r.Name, "baseline.score": fmt.Sprintf("%.0f", r.Score()),
		"baseline.passed": r.Passed, "baseline.failed": r.Failed, "baseline.not_applicable": r.NA,
		"baseline.failed_checks": failed,
	}
	return ev
}
