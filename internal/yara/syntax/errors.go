package syntax

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one diagnostic with its position.
type Error struct {
	Pos  Position
	Msg  string
	Code string // short stable code, for example "syntax" or "undefined-identifier"
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is a list of errors; it implements error.
type ErrorList []*Error

// Add appends an error.
func (l *ErrorList) Add(pos Position, code, format string, args ...any) {
	*l = append(*l, &Error{Pos: pos, Code: code, Msg: fmt.Sprintf(format, args...)})
}

// Sort orders the list by file, line and column.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// RemoveMultiples sorts the list and keeps only the first error per line.
func (l *ErrorList) RemoveMultiples() {
	l.Sort()
	var out ErrorList
	var last Position
	for i, e := range *l {
		if i == 0 || e.Pos.Filename != last.Filename || e.Pos.Line != last.Line {
			out = append(out, e)
		}
		last = e.Pos
	}
	*l = out
}

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	const show = 10
	for i, e := range l {
		if i == show {
			fmt.Fprintf(&b, "\n(and %d more errors)", len(l)-show)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err returns nil for an empty list, else the list.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
