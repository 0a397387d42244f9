package syntax

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits on untrusted rule files.
const (
	MaxFileSize     = 4 << 20 // bytes in one rule file
	MaxDocuments    = 1000    // YAML documents in one file
	MaxNodes        = 200000  // YAML nodes in one file
	MaxAliasDepth   = 8       // nested YAML alias dereferences
	MaxValuesPerKey = 10000   // values in one field list
)

// Kind is what a rule document describes.
type Kind int

const (
	// KindDetection is a detection rule (has a detection section).
	KindDetection Kind = iota
	// KindCorrelation is a correlation rule.
	KindCorrelation
	// KindFilter is a meta-filter (site tuning).
	KindFilter
)

func (k Kind) String() string {
	switch k {
	case KindCorrelation:
		return "correlation"
	case KindFilter:
		return "filter"
	default:
		return "detection"
	}
}

// Logsource is a rule's logsource section.
type Logsource struct {
	Category   string
	Product    string
	Service    string
	Definition string
	Pos        Pos
}

func (l Logsource) String() string {
	return l.Product + "/" + l.Category + "/" + l.Service
}

// Document is one rule document of a rule file: metadata as plain values,
// detection, correlation or filter sections parsed with their positions.
type Document struct {
	Kind  Kind
	Pos   Pos // the document's first key
	Index int // 0-based document number in the file

	Title, ID, Name, Status, Level, Description, Author string
	Date, Modified                                      string
	Tags, References, FalsePositives, Fields            []string
	Logsource                                           Logsource

	// Bad is set when the document has an error diagnostic; it is kept so
	// that its id and title can be reported, but must not be used.
	Bad bool

	Detection   *Detection   // KindDetection, and the filter's selections
	Correlation *Correlation // KindCorrelation
	Filter      *Filter      // KindFilter
}

// File is a parsed rule file: its documents and what went wrong.
type File struct {
	Name      string
	Documents []*Document
	Diags     Diagnostics
	// Rejected counts documents that could not be read at all (YAML
	// errors, non-mapping documents); their diagnostics are in Diags.
	Rejected int
}

// ParseFile parses the YAML documents of one rule file. It never fails as a
// whole: problems are returned as diagnostics and the documents that could be
// read are kept. name is used in positions only.
func ParseFile(name string, src []byte) (f *File) {
	f = &File{Name: name}
	defer func() {
		// The YAML library is third-party code fed untrusted input: a panic
		// there must cost one file, not the process.
		if r := recover(); r != nil {
			f.Documents = nil
			f.Diags = append(f.Diags, Diagnostic{Code: CodeYAML, Pos: Pos{File: name},
				Message: fmt.Sprintf("internal error while reading YAML: %v", r)})
		}
	}()
	if len(src) > MaxFileSize {
		f.Diags = append(f.Diags, Diagnostic{Code: CodeLimit, Pos: Pos{File: name},
			Message: fmt.Sprintf("file is %d bytes, more than the limit of %d", len(src), MaxFileSize)})
		return f
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	nodes := 0
	for i := 0; ; i++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Diags = append(f.Diags, yamlDiag(name, err))
			f.Rejected++
			break // the decoder cannot resynchronise after a syntax error
		}
		if i >= MaxDocuments {
			f.Diags = append(f.Diags, Diagnostic{Code: CodeLimit, Pos: Pos{File: name},
				Message: fmt.Sprintf("more than %d YAML documents in one file", MaxDocuments)})
			break
		}
		nodes += countNodes(&root, 0)
		if nodes > MaxNodes {
			f.Diags = append(f.Diags, Diagnostic{Code: CodeLimit, Pos: Pos{File: name},
				Message: fmt.Sprintf("more than %d YAML nodes in one file", MaxNodes)})
			break
		}
		p := &docParser{file: name}
		doc := p.document(&root, i)
		f.Diags = append(f.Diags, p.diags...)
		bad := len(p.diags.Errors()) > 0
		switch {
		case doc != nil:
			doc.Bad = bad
			f.Documents = append(f.Documents, doc)
		case bad:
			f.Rejected++
		}
	}
	return f
}

func countNodes(n *yaml.Node, depth int) int {
	if n == nil || depth > 100 {
		return 1
	}
	c := 1
	for _, ch := range n.Content {
		c += countNodes(ch, depth+1)
	}
	return c
}

// yamlDiag turns a yaml.v3 error ("yaml: line 12: mapping values are not
// allowed") into a positioned diagnostic.
func yamlDiag(name string, err error) Diagnostic {
	msg := err.Error()
	line := 0
	rest := strings.TrimPrefix(msg, "yaml: ")
	if strings.HasPrefix(rest, "line ") {
		var n int
		if _, e := fmt.Sscanf(rest, "line %d:", &n); e == nil {
			line = n
			if i := strings.Index(rest, ": "); i >= 0 {
				rest = rest[i+2:]
			}
		}
	}
	return Diagnostic{Code: CodeYAML, Pos: Pos{File: name, Line: line}, Message: "invalid YAML: " + rest}
}

// docParser reads one document and collects diagnostics.
type docParser struct {
	file  string
	diags Diagnostics
	doc   *Document
}

func (p *docParser) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: p.file}
	}
	return Pos{File: p.file, Line: n.Line, Col: n.Column}
}

func (p *docParser) errorf(n *yaml.Node, code, format string, args ...any) {
	d := Diagnostic{Code: code, Pos: p.pos(n), Message: fmt.Sprintf(format, args...)}
	if p.doc != nil {
		d.RuleID, d.Title = p.doc.ID, p.doc.Title
	}
	p.diags = append(p.diags, d)
}

func (p *docParser) warnf(n *yaml.Node, code, format string, args ...any) {
	p.errorf(n, code, format, args...)
	p.diags[len(p.diags)-1].Severity = Warning
}

// resolve follows YAML aliases with a depth limit.
func (p *docParser) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i >= MaxAliasDepth {
			p.errorf(n, CodeLimit, "YAML aliases nested more than %d deep", MaxAliasDepth)
			return nil
		}
		n = n.Alias
	}
	return n
}

func (p *docParser) document(root *yaml.Node, index int) *Document {
	n := root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	n = p.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // empty document, e.g. a trailing "---"
	}
	doc := &Document{Index: index, Pos: p.pos(n)}
	p.doc = doc
	if n.Kind != yaml.MappingNode {
		p.errorf(n, CodeStructure, "a rule document must be a mapping, found %s", kindName(n))
		return nil
	}
	keys := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		keys[k.Value] = p.resolve(n.Content[i+1])
	}
	// Identity first so every later diagnostic names the rule.
	doc.Title = p.str(keys, "title")
	doc.ID = p.str(keys, "id")
	doc.Name = p.str(keys, "name")
	doc.Status = p.str(keys, "status")
	doc.Level = p.str(keys, "level")
	doc.Description = p.str(keys, "description")
	doc.Author = p.str(keys, "author")
	doc.Date = p.str(keys, "date")
	doc.Modified = p.str(keys, "modified")
	doc.Tags = p.strList(keys, "tags")
	doc.References = p.strList(keys, "references")
	doc.FalsePositives = p.strList(keys, "falsepositives")
	doc.Fields = p.strList(keys, "fields")
	if ls := keys["logsource"]; ls != nil {
		doc.Logsource = p.logsource(ls)
	}
	if a := keys["action"]; a != nil {
		p.errorf(a, CodeObsolete, "action: %q is a Sigma 1 multi-document construct; split the file into complete rules", a.Value)
		return nil
	}
	det, corr, filt := keys["detection"], keys["correlation"], keys["filter"]
	switch {
	case corr != nil:
		doc.Kind = KindCorrelation
		doc.Correlation = p.correlation(corr)
	case filt != nil && det == nil:
		doc.Kind = KindFilter
		doc.Filter = p.filter(filt)
	case det != nil:
		doc.Kind = KindDetection
		doc.Detection = p.detection(det)
	default:
		p.errorf(n, CodeStructure, "document has none of detection, correlation or filter")
		return nil
	}
	if doc.Title == "" {
		p.warnf(n, CodeStructure, "rule has no title")
	}
	return doc
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the scalar %q", clip(n.Value, 40))
	case yaml.AliasNode:
		return "an alias"
	default:
		return "a document"
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// str reads an optional scalar metadata key. A list is joined with ", "
// (some rules give author as a list).
func (p *docParser) str(keys map[string]*yaml.Node, k string) string {
	n := keys[k]
	if n == nil {
		return ""
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return ""
		}
		return n.Value
	case yaml.SequenceNode:
		return strings.Join(p.scalars(n), ", ")
	}
	p.errorf(n, CodeStructure, "%s must be a string, found %s", k, kindName(n))
	return ""
}

func (p *docParser) strList(keys map[string]*yaml.Node, k string) []string {
	n := keys[k]
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || n.Value == "" {
			return nil
		}
		return []string{n.Value}
	case yaml.SequenceNode:
		return p.scalars(n)
	}
	p.warnf(n, CodeStructure, "%s should be a list of strings, found %s", k, kindName(n))
	return nil
}

func (p *docParser) scalars(n *yaml.Node) []string {
	var out []string
	for _, c := range n.Content {
		c = p.resolve(c)
		if c != nil && c.Kind == yaml.ScalarNode && c.Tag != "!!null" {
			out = append(out, c.Value)
		}
	}
	return out
}

func (p *docParser) logsource(n *yaml.Node) Logsource {
	ls := Logsource{Pos: p.pos(n)}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, CodeStructure, "logsource must be a mapping, found %s", kindName(n))
		return ls
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := p.resolve(n.Content[i+1])
		if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			continue
		}
		switch n.Content[i].Value {
		case "category":
			ls.Category = strings.ToLower(v.Value)
		case "product":
			ls.Product = strings.ToLower(v.Value)
		case "service":
			ls.Service = strings.ToLower(v.Value)
		case "definition":
			ls.Definition = v.Value
		}
	}
	return ls
}
