package sigma

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/medshield/medshield/internal/sigma/syntax"
)

// Options configure loading.
type Options struct {
	// Mapping routes logsources; nil means the embedded default.
	Mapping *Mapping
	// Placeholders add to (and override) the mapping's placeholder table
	// for the expand modifier.
	Placeholders map[string][]string
}

// Diagnostic is re-exported from the syntax package.
type Diagnostic = syntax.Diagnostic

// Diagnostics is a list of Diagnostic.
type Diagnostics = syntax.Diagnostics

// MaxRules bounds the rule documents of one set.
const MaxRules = 100000

// LoadPaths loads rule files and directories (recursively, *.yml and
// *.yaml). A missing path is an error; bad rules are diagnostics.
func LoadPaths(paths []string, opts Options) (*RuleSet, Diagnostics, error) {
	var files []*syntax.File
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("sigma rules %s: %w", p, err)
		}
		if !st.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, nil, fmt.Errorf("read sigma rule %s: %w", p, err)
			}
			files = append(files, syntax.ParseFile(p, data))
			continue
		}
		fl, err := parseTree(os.DirFS(p), func(rel string) string { return filepath.Join(p, filepath.FromSlash(rel)) })
		if err != nil {
			return nil, nil, err
		}
		files = append(files, fl...)
	}
	rs, diags := Compile(files, opts)
	return rs, diags, nil
}

// LoadFS loads every *.yml and *.yaml file of fsys (for embedded rules).
func LoadFS(fsys fs.FS, opts Options) (*RuleSet, Diagnostics, error) {
	files, err := parseTree(fsys, func(rel string) string { return rel })
	if err != nil {
		return nil, nil, err
	}
	rs, diags := Compile(files, opts)
	return rs, diags, nil
}

func parseTree(fsys fs.FS, name func(string) string) ([]*syntax.File, error) {
	var paths []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk sigma rules: %w", err)
	}
	sort.Strings(paths)
	files := make([]*syntax.File, 0, len(paths))
	for _, p := range paths {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read sigma rule %s: %w", name(p), err)
		}
		files = append(files, syntax.ParseFile(name(p), data))
	}
	return files, nil
}

// Compile compiles parsed rule files into a RuleSet. It always returns a
// usable set; rejected rules are in the diagnostics.
func Compile(files []*syntax.File, opts Options) (*RuleSet, Diagnostics) {
	var diags Diagnostics
	m := opts.Mapping
	if m == nil {
		var err error
		if m, err = DefaultMapping(); err != nil {
			diags = append(diags, Diagnostic{Code: syntax.CodeLogsource, Message: err.Error()})
			m = &Mapping{ChannelField: "Channel", EventIDField: "EventID", ProviderField: "Provider_Name"}
		}
	}
	ph := map[string][]string{}
	for k, v := range m.Placeholders {
		ph[k] = v
	}
	for k, v := range opts.Placeholders {
		ph[k] = v
	}
	rs := &RuleSet{mapping: m, byKey: map[routeKey][]*compiled{}, byID: map[string]*Rule{}}
	rs.Stats.Files = len(files)

	type entry struct {
		doc  *syntax.Document
		rule *Rule
	}
	var entries []entry
	var filters []*syntax.Document
	for _, f := range files {
		diags = append(diags, f.Diags...)
		rs.Stats.Rejected += f.Rejected // documents that could not be read at all
		rs.Stats.Documents += f.Rejected
		for _, d := range f.Documents {
			rs.Stats.Documents++
			if d.Kind == syntax.KindFilter {
				filters = append(filters, d)
				continue
			}
			if len(entries) >= MaxRules {
				diags = append(diags, Diagnostic{Code: syntax.CodeLimit, Pos: d.Pos, Message: fmt.Sprintf("more than %d rules", MaxRules)})
				rs.Stats.Rejected++
				continue
			}
			r := &Rule{ID: d.ID, Name: d.Name, Title: d.Title, Level: strings.ToLower(d.Level), Status: d.Status,
				Author: d.Author, Description: d.Description, Tags: d.Tags, References: d.References,
				FalsePositives: d.FalsePositives, Logsource: d.Logsource, Kind: d.Kind, Pos: d.Pos, Correlation: d.Correlation}
			entries = append(entries, entry{d, r})
		}
	}
	// Documents with parse errors were already dropped or kept with a nil
	// section; count the rejected ones below.
	for _, e := range entries {
		for _, key := range []string{e.rule.ID, e.rule.Name} {
			if key == "" {
				continue
			}
			if prev, dup := rs.byID[key]; dup && prev != e.rule {
				diags = append(diags, Diagnostic{Severity: syntax.Warning, Code: syntax.CodeDuplicate, Pos: e.rule.Pos, RuleID: e.rule.ID,
					Title: e.rule.Title, Message: fmt.Sprintf("id or name %q is also used at %s; references resolve to the first", key, prev.Pos)})
				continue
			}
			rs.byID[key] = e.rule
		}
	}
	// Meta-filters, by the rule id or name they tune.
	filtersFor := map[*Rule][]*syntax.Document{}
	for _, f := range filters {
		if f.Bad || f.Filter == nil || f.Filter.Detection == nil {
			rs.Stats.Rejected++
			continue
		}
		for _, ref := range f.Filter.Rules {
			r := rs.byID[ref]
			if r == nil {
				diags = append(diags, Diagnostic{Severity: syntax.Warning, Code: syntax.CodeFilter, Pos: f.Filter.Pos, RuleID: f.ID, Title: f.Title,
					Message: fmt.Sprintf("filter refers to rule %q, which is not loaded", ref)})
				continue
			}
			filtersFor[r] = append(filtersFor[r], f)
		}
		rs.Stats.Filters++
	}

	reject := func(r *Rule, err error) {
		d := Diagnostic{Code: syntax.CodeStructure, Pos: r.Pos, RuleID: r.ID, Title: r.Title, Message: err.Error()}
		if ce, ok := err.(*compileError); ok {
			d.Code, d.Pos = ce.code, ce.pos
		}
		diags = append(diags, d)
		rs.Stats.Rejected++
	}
	// Detection rules.
	var corrEntries []entry
	for _, e := range entries {
		if e.doc.Kind == syntax.KindCorrelation {
			corrEntries = append(corrEntries, e)
			continue
		}
		if e.doc.Bad || e.doc.Detection == nil {
			rs.Stats.Rejected++
			continue
		}
		cs, unrouted, err := rs.compileDetection(e.rule, e.doc, filtersFor[e.rule], ph)
		if err != nil {
			reject(e.rule, err)
			continue
		}
		e.rule.index = len(rs.Rules)
		rs.Rules = append(rs.Rules, e.rule)
		rs.Stats.Loaded++
		if unrouted {
			rs.Stats.Unrouted++
			rs.generic = append(rs.generic, cs...)
			continue
		}
		for _, c := range cs {
			rs.route(c)
		}
	}
	// Correlation rules, after every detection rule they may refer to.
	for _, e := range corrEntries {
		if e.doc.Bad || e.doc.Correlation == nil {
			rs.Stats.Rejected++
			continue
		}
		if err := rs.compileCorrelation(e.rule); err != nil {
			reject(e.rule, err)
			continue
		}
		e.rule.index = len(rs.Rules)
		rs.Rules = append(rs.Rules, e.rule)
		rs.Stats.Correlation++
	}
	rs.buildPrefilter()
	rs.pool.New = func() any { return &evalCtx{} }
	diags.Sort()
	return rs, diags
}

// compileDetection compiles a rule for each variant of its logsource.
func (rs *RuleSet) compileDetection(r *Rule, d *syntax.Document, filters []*syntax.Document, ph map[string][]string) ([]*compiled, bool, error) {
	ls := d.Logsource
	vars := rs.mapping.variants(ls.Product, ls.Category, ls.Service)
	if len(vars) == 0 {
		if rs.mapping.routed[ls.Product] {
			return nil, false, errAt(ls.Pos, syntax.CodeLogsource, "logsource %s has no variant in the mapping: no event log carries it (add one to the mapping file)", ls)
		}
		c := &compiler{syms: &rs.syms, placeholders: ph}
		n, err := c.withFilters(d, filters)
		if err != nil {
			return nil, false, err
		}
		r.variants = []string{"generic"}
		return []*compiled{{rule: r, cond: n}}, true, nil
	}
	var out []*compiled
	var firstMissing error
	for _, v := range vars {
		c := &compiler{syms: &rs.syms, fieldMap: v.Fields, placeholders: ph, used: map[string]syntax.Pos{}}
		n, err := c.withFilters(d, filters)
		if err != nil {
			return nil, false, err // a bad value is bad in every variant
		}
		if missing, pos := rs.missingField(v, c.used); missing != "" {
			if firstMissing == nil {
				firstMissing = errAt(pos, syntax.CodeLogsource, "field %q is not available on logsource %s (variant %s)", missing, ls, variantName(v))
			}
			continue
		}
		cr := &compiled{rule: r, cond: n}
		for _, p := range v.Providers {
			cr.providers = append(cr.providers, strings.ToLower(p))
		}
		out = append(out, cr)
		r.variants = append(r.variants, variantName(v))
		r.vars = append(r.vars, v)
		cr.variant = v
	}
	if len(out) == 0 {
		return nil, false, firstMissing
	}
	return out, false, nil
}

func variantName(v *Variant) string {
	if v.Name != "" {
		return v.Name
	}
	return v.Product + "/" + v.Category + "/" + v.Service
}

func (rs *RuleSet) missingField(v *Variant, used map[string]syntax.Pos) (string, syntax.Pos) {
	if v.avail == nil {
		return "", syntax.Pos{}
	}
	names := make([]string, 0, len(used))
	for f := range used {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if !rs.mapping.available(v, f) {
			return f, used[f]
		}
	}
	return "", syntax.Pos{}
}

// withFilters compiles the detection and appends "and not filter" for each
// meta-filter that targets the rule.
func (c *compiler) withFilters(d *syntax.Document, filters []*syntax.Document) (node, error) {
	n, err := c.detection(d.Detection)
	if err != nil {
		return nil, err
	}
	if len(filters) == 0 {
		return n, nil
	}
	and := andNode{n}
	for _, f := range filters {
		fn, err := c.detection(f.Filter.Detection)
		if err != nil {
			return nil, errAt(f.Pos, syntax.CodeFilter, "meta-filter %q (%s): %v", f.Title, f.Pos, err)
		}
		and = append(and, notNode{fn})
	}
	return and, nil
}

// route adds a compiled variant to the pre-index.
func (rs *RuleSet) route(c *compiled) {
	keys := c.variant.keys()
	if len(keys) == 0 {
		rs.anyRouted = append(rs.anyRouted, c)
	}
	for _, k := range keys {
		rs.byKey[k] = append(rs.byKey[k], c)
	}
}

// buildPrefilter numbers the compiled variants and indexes the necessary
// conditions of those that have one (see prefilter.go).
func (rs *RuleSet) buildPrefilter() {
	seen := map[*compiled]bool{}
	add := func(c *compiled) {
		if seen[c] {
			return
		}
		seen[c] = true
		c.id = int32(len(rs.all))
		rs.all = append(rs.all, c)
		if atoms := necessary(c.cond); atoms != nil {
			c.gated = true
			rs.pf.add(c.id, atoms)
		}
	}
	keys := make([]routeKey, 0, len(rs.byKey))
	for k := range rs.byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].channel != keys[j].channel {
			return keys[i].channel < keys[j].channel
		}
		return keys[i].eventID < keys[j].eventID
	})
	for _, k := range keys {
		for _, c := range rs.byKey[k] {
			add(c)
		}
	}
	for _, c := range rs.anyRouted {
		add(c)
	}
	for _, c := range rs.generic {
		add(c)
	}
	rs.pf.build()
	gates := func(cs []*compiled) []int32 {
		out := make([]int32, len(cs))
		for i, c := range cs {
			out[i] = -1
			if c.gated {
				out[i] = c.id
			}
		}
		return out
	}
	rs.gateKey = make(map[routeKey][]int32, len(rs.byKey))
	for k, cs := range rs.byKey {
		rs.gateKey[k] = gates(cs)
	}
	rs.gateAny, rs.gateGeneric = gates(rs.anyRouted), gates(rs.generic)
}
