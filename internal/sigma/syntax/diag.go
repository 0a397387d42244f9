package syntax

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a rule file. Line and Col are 1-based; zero means
// unknown.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

func (p Pos) String() string {
	switch {
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return p.File
	}
}

// Severity of a diagnostic.
type Severity int

const (
	// Error means the rule (or document) was rejected.
	Error Severity = iota
	// Warning means the rule loaded but something about it is dubious.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalJSON renders the severity as its name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Diagnostic codes. They are stable: documentation and tests refer to them.
const (
	CodeYAML        = "S001" // the file is not valid YAML
	CodeStructure   = "S002" // a required key is missing or has the wrong type
	CodeCondition   = "S003" // the condition does not parse
	CodeModifier    = "S004" // unknown or misused value modifier
	CodeValue       = "S005" // a value cannot be used with its modifiers
	CodeRegex       = "S006" // a regular expression RE2 cannot run
	CodePlaceholder = "S007" // an expand placeholder is not defined
	CodeLogsource   = "S008" // the logsource has no mapping or lacks a field
	CodeCorrelation = "S009" // a correlation rule is malformed or refers to unknown rules
	CodeFilter      = "S010" // a meta-filter is malformed
	CodeLimit       = "S011" // a hard limit (size, depth, count) was exceeded
	CodeDuplicate   = "S012" // a rule id is used twice
	CodeObsolete    = "S013" // an obsolete Sigma 1 construct (aggregation pipes, action: global)
)

// Diagnostic is one error or warning about a rule file.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Pos      Pos      `json:"pos"`
	RuleID   string   `json:"rule_id,omitempty"`
	Title    string   `json:"title,omitempty"`
	Message  string   `json:"message"`
}

func (d Diagnostic) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s[%s]: %s", d.Pos, d.Severity, d.Code, d.Message)
	if d.RuleID != "" {
		fmt.Fprintf(&b, " (rule %s)", d.RuleID)
	}
	return b.String()
}

// Error implements error so that a single Diagnostic can be returned as one.
func (d Diagnostic) Error() string { return d.String() }

// Diagnostics is a list of diagnostics.
type Diagnostics []Diagnostic

// Sort orders diagnostics by file, line and column.
func (l Diagnostics) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Errors returns only the error-severity diagnostics.
func (l Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range l {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Err returns nil when the list holds no errors, else an error listing them
// (at most 10 lines, then a count).
func (l Diagnostics) Err() error {
	errs := l.Errors()
	if len(errs) == 0 {
		return nil
	}
	return errList(errs)
}

type errList Diagnostics

func (e errList) Error() string {
	var b strings.Builder
	for i, d := range e {
		if i == 10 {
			fmt.Fprintf(&b, "\n(and %d more errors)", len(e)-10)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// Render formats the diagnostic with the source line it points at and a
// caret under the column, for terminals. src is the file's content (nil:
// no snippet).
func (d Diagnostic) Render(src []byte) string {
	s := d.String()
	if d.Pos.Line <= 0 || src == nil {
		return s
	}
	lines := strings.SplitN(string(src), "\n", d.Pos.Line+1)
	if len(lines) < d.Pos.Line {
		return s
	}
	line := strings.TrimRight(lines[d.Pos.Line-1], "\r")
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	s += fmt.Sprintf("\n %5d | %s", d.Pos.Line, line)
	if d.Pos.Col > 0 && d.Pos.Col <= len(line)+1 {
		pad := []byte(line[:d.Pos.Col-1])
		for i, c := range pad {
			if c != '\t' {
				pad[i] = ' '
			}
		}
		s += fmt.Sprintf("\n       | %s^", pad)
	}
	return s
}
