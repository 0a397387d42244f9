package ioc

import (
	"fmt"
	"sort"
	"strings"
)

// Error is a problem with one line of a feed. Line is 1-based; 0 means the
// problem is with the file as a whole.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// maxErrors bounds what one feed can make us remember; the rest is counted.
const maxErrors = 1000

// ErrorList collects the line errors of one load. The indicators on good
// lines are loaded regardless; callers decide whether errors are fatal.
type ErrorList struct {
	Errs    []*Error
	Dropped int // errors beyond maxErrors, counted only
}

func (l *ErrorList) add(file string, line int, format string, args ...any) {
	if len(l.Errs) >= maxErrors {
		l.Dropped++
		return
	}
	l.Errs = append(l.Errs, &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Len is the total number of errors, including dropped ones.
func (l *ErrorList) Len() int { return len(l.Errs) + l.Dropped }

// Error prints the first ten errors, sorted by line.
func (l *ErrorList) Error() string {
	sort.SliceStable(l.Errs, func(i, j int) bool { return l.Errs[i].Line < l.Errs[j].Line })
	var b strings.Builder
	for i, e := range l.Errs {
		if i == 10 {
			fmt.Fprintf(&b, "\n(and %d more errors)", l.Len()-10)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// err returns nil when empty so that callers can test err != nil.
func (l *ErrorList) err() error {
	if l.Len() == 0 {
		return nil
	}
	return l
}
