package sca

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Policy is one parsed policy file.
type Policy struct {
	ID          string
	File        string
	Name        string
	Description string
	References  []string
	Platforms   []string // medshield extension: informational
	// Requirements must hold for the policy to apply to a host.
	Requirements *Requirements
	Variables    map[string]string
	Checks       []*Check
	// Path is where the policy was read from.
	Path string
}

// Requirements gate a whole policy.
type Requirements struct {
	Title     string
	Condition string
	Rules     []*Rule
}

// Check is one check of a policy.
type Check struct {
	ID          int
	Title       string
	Description string
	Rationale   string
	Remediation string
	Impact      string
	References  []string
	// Compliance maps a framework ("cis", "dengbao_l3", "pci_dss") to
	// its control ids.
	Compliance map[string][]string
	Condition  string
	Rules      []*Rule
	Line       int // line of the check in the policy file
}

// Diagnostic is a problem in a policy file with its position.
type Diagnostic struct {
	File    string
	Line    int
	Message string
}

func (d Diagnostic) Error() string {
	if d.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Message)
	}
	return d.File + ": " + d.Message
}

// Limits for untrusted policy files.
const (
	MaxPolicySize = 16 << 20
	maxChecks     = 10000
	maxRules      = 1000
)

// ParseFile reads a policy file.
func ParseFile(path string) (*Policy, []Diagnostic, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPolicySize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse parses a policy. Problems with single checks (an unknown rule
// type, a bad condition) are returned as diagnostics and the check is
// dropped; a file that is not a policy at all is an error.
func Parse(name string, data []byte) (*Policy, []Diagnostic, error) {
	if len(data) > MaxPolicySize {
		return nil, nil, fmt.Errorf("%s: policy larger than %d bytes", name, MaxPolicySize)
	}
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s: not a policy (expected a mapping with policy and checks)", name)
	}
	p := &Policy{Path: name, Variables: map[string]string{}}
	var diags []Diagnostic
	diag := func(line int, format string, args ...any) {
		diags = append(diags, Diagnostic{File: name, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	top := root.Content[0]
	var checksNode, reqNode *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i].Value, top.Content[i+1]
		switch k {
		case "policy":
			var pol struct {
				ID          string   `yaml:"id"`
				File        string   `yaml:"file"`
				Name        string   `yaml:"name"`
				Description string   `yaml:"description"`
				References  []string `yaml:"references"`
				Platforms   []string `yaml:"platforms"`
			}
			if err := v.Decode(&pol); err != nil {
				return nil, nil, fmt.Errorf("%s:%d: policy: %w", name, v.Line, err)
			}
			p.ID, p.File, p.Name, p.Description, p.References, p.Platforms = pol.ID, pol.File, pol.Name, pol.Description, pol.References, pol.Platforms
		case "variables":
			if v.Kind != yaml.MappingNode {
				diag(v.Line, "variables must be a mapping")
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				p.Variables[v.Content[j].Value] = v.Content[j+1].Value
			}
		case "requirements":
			reqNode = v
		case "checks":
			checksNode = v
		}
	}
	if p.ID == "" {
		return nil, nil, fmt.Errorf("%s: missing policy.id", name)
	}
	// Requirements and checks are parsed after the whole mapping so that
	// variables declared anywhere in the file apply.
	if reqNode != nil {
		func(v *yaml.Node) {
			var req struct {
				Title     string   `yaml:"title"`
				Name      string   `yaml:"name"`
				Condition string   `yaml:"condition"`
				Rules     []string `yaml:"rules"`
			}
			if err := v.Decode(&req); err != nil {
				diag(v.Line, "requirements: %v", err)
				return
			}
			r := &Requirements{Title: firstNonEmpty(req.Title, req.Name), Condition: req.Condition}
			if !validCondition(r.Condition) {
				diag(v.Line, "requirements: condition %q must be all, any or none", r.Condition)
				return
			}
			ok := true
			for _, raw := range req.Rules {
				rule, err := ParseRule(raw, p.Variables)
				if err != nil {
					diag(v.Line, "requirements: %v", err)
					ok = false
					break
				}
				r.Rules = append(r.Rules, rule)
			}
			if ok {
				p.Requirements = r
			}
		}(reqNode)
	}
	if checksNode == nil || checksNode.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("%s: missing checks list", name)
	}
	if len(checksNode.Content) > maxChecks {
		return nil, nil, fmt.Errorf("%s: %d checks, limit %d", name, len(checksNode.Content), maxChecks)
	}
	// Variables may be declared after requirements; rules are parsed after
	// the whole file is read, so expand requirements again if needed.
	seen := map[int]bool{}
	for _, cn := range checksNode.Content {
		c, err := parseCheck(cn, p.Variables)
		if err != nil {
			diag(cn.Line, "%v", err)
			continue
		}
		if seen[c.ID] {
			diag(cn.Line, "check id %d repeated", c.ID)
			continue
		}
		seen[c.ID] = true
		p.Checks = append(p.Checks, c)
	}
	return p, diags, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func validCondition(c string) bool { return c == "all" || c == "any" || c == "none" }

func parseCheck(n *yaml.Node, vars map[string]string) (*Check, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("check must be a mapping")
	}
	var raw struct {
		ID          string    `yaml:"id"`
		Title       string    `yaml:"title"`
		Name        string    `yaml:"name"`
		Description string    `yaml:"description"`
		Rationale   string    `yaml:"rationale"`
		Remediation string    `yaml:"remediation"`
		Impact      string    `yaml:"impact"`
		References  []string  `yaml:"references"`
		Compliance  yaml.Node `yaml:"compliance"`
		Condition   string    `yaml:"condition"`
		Rules       []string  `yaml:"rules"`
	}
	if err := n.Decode(&raw); err != nil {
		return nil, fmt.Errorf("check: %v", err)
	}
	id, err := strconv.Atoi(raw.ID)
	if err != nil {
		return nil, fmt.Errorf("check id %q is not a number", raw.ID)
	}
	c := &Check{ID: id, Title: firstNonEmpty(raw.Title, raw.Name), Description: raw.Description, Rationale: raw.Rationale,
		Remediation: raw.Remediation, Impact: raw.Impact, References: raw.References, Condition: raw.Condition, Line: n.Line}
	if !validCondition(c.Condition) {
		return nil, fmt.Errorf("check %d: condition %q must be all, any or none", id, c.Condition)
	}
	if len(raw.Rules) == 0 {
		return nil, fmt.Errorf("check %d: no rules", id)
	}
	if len(raw.Rules) > maxRules {
		return nil, fmt.Errorf("check %d: %d rules, limit %d", id, len(raw.Rules), maxRules)
	}
	for _, s := range raw.Rules {
		r, err := ParseRule(s, vars)
		if err != nil {
			return nil, fmt.Errorf("check %d: %v", id, err)
		}
		c.Rules = append(c.Rules, r)
	}
	c.Compliance = decodeCompliance(&raw.Compliance)
	return c, nil
}

// decodeCompliance accepts both forms in use: a mapping of framework to
// ids, and (older policies) a list of one-entry mappings.
func decodeCompliance(n *yaml.Node) map[string][]string {
	out := map[string][]string{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				switch v.Kind {
				case yaml.SequenceNode:
					for _, x := range v.Content {
						out[k] = append(out[k], x.Value)
					}
				case yaml.ScalarNode:
					out[k] = append(out[k], v.Value)
				}
			}
		}
	}
	walk(n)
	if len(out) == 0 {
		return nil
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

// expandVars replaces $name occurrences with the variable's value.
func expandVars(s string, vars map[string]string) (string, error) {
	if !strings.Contains(s, "$") || len(vars) == 0 {
		return s, nil
	}
	// Longest names first so that $a does not eat $ab.
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, k := range names {
		key := k
		if !strings.HasPrefix(key, "$") {
			key = "$" + key
		}
		s = strings.ReplaceAll(s, key, vars[k])
	}
	return s, nil
}
