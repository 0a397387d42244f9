package sca

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// ControlStatus is the evidence for one control of a framework (for
// example 等保2.0 "8.1.4.1a") gathered from check results.
type ControlStatus struct {
	Control string `json:"control"` // the id, e.g. "8.1.4.1b"
	// Texts are the distinct descriptions the policies give for it
	// ("8.1.4.1b 身份鉴别: 登录连接超时自动退出" gives "身份鉴别: 登录连接超时自动退出").
	Texts  []string `json:"texts,omitempty"`
	Status Status   `json:"status"` // failed if any check failed, passed if all decided checks passed
	Passed []string `json:"passed"` // "policy:id title"
	Failed []string `json:"failed"`
	NA     []string `json:"not_applicable"`
}

// ByControl groups check results by the controls of one framework
// ("dengbao_l3", "cis"), sorted by control id.
func ByControl(results []PolicyResult, framework string) []ControlStatus {
	m := map[string]*ControlStatus{}
	for _, r := range results {
		for _, c := range r.Checks {
			ref := fmt.Sprintf("%s:%d %s", r.PolicyID, c.ID, c.Title)
			for _, ctl := range c.Compliance[framework] {
				id, text, _ := strings.Cut(ctl, " ")
				cs := m[id]
				if cs == nil {
					cs = &ControlStatus{Control: id}
					m[id] = cs
				}
				if text = strings.TrimSpace(text); text != "" && !contains(cs.Texts, text) {
					cs.Texts = append(cs.Texts, text)
				}
				switch c.Status {
				case Passed:
					cs.Passed = append(cs.Passed, ref)
				case Failed:
					cs.Failed = append(cs.Failed, ref)
				default:
					cs.NA = append(cs.NA, ref)
				}
			}
		}
	}
	out := make([]ControlStatus, 0, len(m))
	for _, cs := range m {
		switch {
		case len(cs.Failed) > 0:
			cs.Status = Failed
		case len(cs.Passed) > 0:
			cs.Status = Passed
		default:
			cs.Status = NotApplicable
		}
		out = append(out, *cs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Control < out[j].Control })
	return out
}

// WriteControlReport writes the per-control evidence as text: the basis of
// a 等保 evidence sheet (控制点, 结果, 依据).
func WriteControlReport(w io.Writer, cs []ControlStatus) error {
	label := map[Status]string{Passed: "符合 passed", Failed: "不符合 failed", NotApplicable: "未检查 not checked"}
	for _, c := range cs {
		fmt.Fprintf(w, "%s %s\n  %s\n", c.Control, strings.Join(c.Texts, " / "), label[c.Status])
		for _, group := range []struct {
			name string
			refs []string
		}{{"failed", c.Failed}, {"passed", c.Passed}, {"not applicable", c.NA}} {
			if len(group.refs) > 0 {
				fmt.Fprintf(w, "    %s: %s\n", group.name, strings.Join(group.refs, "; "))
			}
		}
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
