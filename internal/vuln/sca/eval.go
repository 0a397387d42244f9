package sca

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/medshield/medshield/internal/vuln/inventory"
)

// Status is a check result.
type Status string

const (
	Passed        Status = "passed"
	Failed        Status = "failed"
	NotApplicable Status = "not applicable"
)

// CommandRunner runs a policy's c: command and returns its output. The
// evaluator never runs commands itself.
type CommandRunner interface {
	Run(ctx context.Context, command string) (string, error)
}

// Env is what rules are evaluated against.
type Env struct {
	// Root is the filesystem root: f:, d: and p: paths are resolved under
	// it ("" means "/").
	Root string
	// Commands runs c: rules; nil makes them not applicable.
	Commands CommandRunner
	// Registry answers r: rules; nil makes them not applicable.
	Registry inventory.Registry
	// Processes lists running process names; nil reads Root/proc.
	Processes func() ([]string, error)
}

// Limits on what one rule may read.
const (
	maxFileRead = 16 << 20
	maxDirFiles = 20000
	maxDirDepth = 8
)

// ruleValue is a rule's three-valued result.
type ruleValue int

const (
	ruleFalse ruleValue = iota
	ruleTrue
	ruleInvalid
)

func (v ruleValue) String() string { return [...]string{"false", "true", "not applicable"}[v] }

// RuleResult records how one rule evaluated and why.
type RuleResult struct {
	Rule   string `json:"rule"`
	Result string `json:"result"`
	Detail string `json:"detail"`
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	PolicyID    string              `json:"policy_id"`
	ID          int                 `json:"id"`
	Title       string              `json:"title"`
	Status      Status              `json:"status"`
	Reason      string              `json:"reason"`
	Rules       []RuleResult        `json:"rules"`
	Remediation string              `json:"remediation,omitempty"`
	Compliance  map[string][]string `json:"compliance,omitempty"`
}

// PolicyResult is the outcome of one policy on one host.
type PolicyResult struct {
	PolicyID   string        `json:"policy_id"`
	Name       string        `json:"name"`
	Path       string        `json:"path"`
	Applicable bool          `json:"applicable"`
	Reason     string        `json:"reason,omitempty"`
	Checks     []CheckResult `json:"checks"`
	Passed     int           `json:"passed"`
	Failed     int           `json:"failed"`
	NA         int           `json:"not_applicable"`
}

// Score is passed/(passed+failed) in percent; 0 when nothing was decided.
func (r PolicyResult) Score() float64 {
	if r.Passed+r.Failed == 0 {
		return 0
	}
	return 100 * float64(r.Passed) / float64(r.Passed+r.Failed)
}

// Evaluate runs a policy. When its requirements do not hold, the policy is
// reported not applicable and no check runs.
func Evaluate(ctx context.Context, p *Policy, env Env) PolicyResult {
	res := PolicyResult{PolicyID: p.ID, Name: p.Name, Path: p.Path, Applicable: true}
	if p.Requirements != nil {
		st, rr := evalRules(ctx, p.Requirements.Condition, p.Requirements.Rules, env)
		if st != Passed {
			res.Applicable = false
			res.Reason = "requirements not met (" + p.Requirements.Title + "): " + summarize(st, p.Requirements.Condition, rr)
			return res
		}
	}
	for _, c := range p.Checks {
		if ctx.Err() != nil {
			break
		}
		st, rr := evalRules(ctx, c.Condition, c.Rules, env)
		cr := CheckResult{PolicyID: p.ID, ID: c.ID, Title: c.Title, Status: st, Rules: rr,
			Reason: summarize(st, c.Condition, rr), Remediation: c.Remediation, Compliance: c.Compliance}
		switch st {
		case Passed:
			res.Passed++
		case Failed:
			res.Failed++
		default:
			res.NA++
		}
		res.Checks = append(res.Checks, cr)
	}
	return res
}

// evalRules applies a condition: all (every rule true), any (one rule
// true), none (no rule true). A decision that depends on a rule that could
// not be evaluated is "not applicable".
func evalRules(ctx context.Context, cond string, rules []*Rule, env Env) (Status, []RuleResult) {
	var rr []RuleResult
	nTrue, nFalse, nInvalid := 0, 0, 0
	for _, r := range rules {
		v, detail := evalRule(ctx, r, env)
		rr = append(rr, RuleResult{Rule: r.Raw, Result: v.String(), Detail: detail})
		switch v {
		case ruleTrue:
			nTrue++
		case ruleFalse:
			nFalse++
		default:
			nInvalid++
		}
	}
	switch cond {
	case "all":
		if nFalse > 0 {
			return Failed, rr
		}
		if nInvalid > 0 {
			return NotApplicable, rr
		}
		return Passed, rr
	case "any":
		if nTrue > 0 {
			return Passed, rr
		}
		if nInvalid > 0 {
			return NotApplicable, rr
		}
		return Failed, rr
	default: // none
		if nTrue > 0 {
			return Failed, rr
		}
		if nInvalid > 0 {
			return NotApplicable, rr
		}
		return Passed, rr
	}
}

// summarize gives the reason for a status: the rules that decided it.
func summarize(st Status, cond string, rr []RuleResult) string {
	want := map[Status]map[string]string{
		Passed:        {"all": "true", "any": "true", "none": "false"},
		Failed:        {"all": "false", "any": "false", "none": "true"},
		NotApplicable: {"all": "not applicable", "any": "not applicable", "none": "not applicable"},
	}[st][cond]
	var parts []string
	for _, r := range rr {
		if r.Result == want {
			parts = append(parts, fmt.Sprintf("%s is %s (%s)", r.Rule, r.Result, r.Detail))
		}
	}
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("and %d more", len(parts)-3))
	}
	return fmt.Sprintf("condition %s: %s", cond, strings.Join(parts, "; "))
}

func evalRule(ctx context.Context, r *Rule, env Env) (ruleValue, string) {
	for _, e := range r.exprs {
		if e != nil {
			if err := e.compileErr(); err != nil {
				return ruleInvalid, err.Error()
			}
		}
	}
	var v ruleValue
	var detail string
	switch r.Type {
	case 'f':
		v, detail = evalFile(r, env)
	case 'd':
		v, detail = evalDir(r, env)
	case 'p':
		v, detail = evalProcess(r, env)
	case 'c':
		v, detail = evalCommand(ctx, r, env)
	case 'r':
		v, detail = evalRegistry(r, env)
	}
	if r.Negate && v != ruleInvalid {
		if v == ruleTrue {
			v = ruleFalse
		} else {
			v = ruleTrue
		}
		detail = "negated: " + detail
	}
	return v, detail
}

// resolve maps a policy path under the root, expanding globs.
func resolve(env Env, p string) []string {
	root := env.Root
	if root == "" {
		root = string(filepath.Separator)
	}
	full := filepath.Join(root, filepath.FromSlash(p))
	if strings.ContainsAny(p, "*?[") {
		m, _ := filepath.Glob(full)
		return m
	}
	return []string{full}
}

// matchLines reports whether any line of the file matches e.
func matchLines(path string, e *Expr) (bool, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(&limitedReader{f: f, n: maxFileRead})
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if e.Match(sc.Text(), false) {
			return true, sc.Text(), nil
		}
	}
	return false, "", sc.Err()
}

type limitedReader struct {
	f *os.File
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("file larger than the read limit")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}

func evalFile(r *Rule, env Env) (ruleValue, string) {
	var found []string
	for _, t := range strings.Split(r.Target, ",") {
		for _, p := range resolve(env, strings.TrimSpace(t)) {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				found = append(found, p)
			}
		}
	}
	if len(found) == 0 {
		return ruleFalse, "file " + r.Target + " not found"
	}
	if len(r.Parts) == 0 {
		return ruleTrue, "file exists"
	}
	for _, p := range found {
		ok, line, err := matchLines(p, r.exprs[0])
		if err != nil {
			return ruleInvalid, fmt.Sprintf("reading %s: %v", p, err)
		}
		if ok {
			return ruleTrue, fmt.Sprintf("line %q matches", truncate(line))
		}
	}
	return ruleFalse, "no line matches " + r.Parts[0]
}

func evalDir(r *Rule, env Env) (ruleValue, string) {
	var dirs []string
	for _, t := range strings.Split(r.Target, ",") {
		for _, p := range resolve(env, strings.TrimSpace(t)) {
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				dirs = append(dirs, p)
			}
		}
	}
	if len(dirs) == 0 {
		return ruleFalse, "directory " + r.Target + " not found"
	}
	if len(r.Parts) == 0 {
		return ruleTrue, "directory exists"
	}
	name := r.exprs[0]
	count := 0
	for _, d := range dirs {
		var hit string
		err := filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if de.IsDir() {
				if rel, _ := filepath.Rel(d, p); strings.Count(rel, string(filepath.Separator)) >= maxDirDepth {
					return fs.SkipDir
				}
				return nil
			}
			if count++; count > maxDirFiles {
				return errors.New("too many files")
			}
			if !de.Type().IsRegular() || !name.Match(de.Name(), false) {
				return nil
			}
			if len(r.Parts) == 1 {
				hit = p
				return fs.SkipAll
			}
			if ok, _, err := matchLines(p, r.exprs[1]); err == nil && ok {
				hit = p
				return fs.SkipAll
			}
			return nil
		})
		if err != nil {
			return ruleInvalid, fmt.Sprintf("walking %s: %v", d, err)
		}
		if hit != "" {
			return ruleTrue, "matched in " + hit
		}
	}
	return ruleFalse, "no file in " + r.Target + " matches"
}

func evalProcess(r *Rule, env Env) (ruleValue, string) {
	list := env.Processes
	if list == nil {
		list = func() ([]string, error) { return processNames(env.Root) }
	}
	names, err := list()
	if err != nil {
		return ruleInvalid, "listing processes: " + err.Error()
	}
	for _, n := range names {
		if n == r.Target {
			return ruleTrue, "process " + n + " is running"
		}
	}
	return ruleFalse, "no process " + r.Target
}

// procNames reads process names from ROOT/proc/*/comm (Linux, or a
// recorded tree).
func procNames(root string) ([]string, error) {
	if root == "" {
		root = "/"
	}
	entries, err := os.ReadDir(filepath.Join(root, "proc"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, "proc", e.Name(), "comm"))
		if err == nil {
			out = append(out, strings.TrimSpace(string(b)))
		}
	}
	return out, nil
}

func evalCommand(ctx context.Context, r *Rule, env Env) (ruleValue, string) {
	if env.Commands == nil {
		return ruleInvalid, "commands are not run (enable them explicitly)"
	}
	out, err := env.Commands.Run(ctx, r.Target)
	if err != nil && out == "" {
		return ruleInvalid, "command failed: " + err.Error()
	}
	if len(r.Parts) == 0 {
		return ruleTrue, "command ran"
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if r.exprs[0].Match(line, false) && (len(r.exprs) < 2 || r.exprs[1].Match(line, false)) {
			return ruleTrue, fmt.Sprintf("output line %q matches", truncate(line))
		}
	}
	return ruleFalse, "no output line matches " + strings.Join(r.Parts, " -> ")
}

func evalRegistry(r *Rule, env Env) (ruleValue, string) {
	if env.Registry == nil {
		return ruleInvalid, "no registry on this host"
	}
	vals, err := env.Registry.Values(r.Target)
	if errors.Is(err, inventory.ErrNoKey) {
		return ruleFalse, "key not found"
	}
	if err != nil {
		return ruleInvalid, err.Error()
	}
	if len(r.Parts) == 0 {
		return ruleTrue, "key exists"
	}
	data, ok := vals.Get(r.Parts[0])
	if !ok {
		return ruleFalse, "value " + r.Parts[0] + " not found"
	}
	if len(r.Parts) == 1 {
		return ruleTrue, "value exists"
	}
	if r.exprs[1].Match(data, true) {
		return ruleTrue, fmt.Sprintf("%s = %q matches", r.Parts[0], truncate(data))
	}
	return ruleFalse, fmt.Sprintf("%s = %q does not match %s", r.Parts[0], truncate(data), r.Parts[1])
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
