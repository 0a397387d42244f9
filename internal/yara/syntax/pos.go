package syntax

import (
	"fmt"
	"sort"
)

// Pos is a compact source position: an offset into a FileSet. The zero
// Pos is "no position".
type Pos int

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p > 0 }

// Position is a printable position.
type Position struct {
	Filename string
	Line     int // 1-based
	Column   int // 1-based, in bytes
}

func (p Position) String() string {
	s := p.Filename
	if s == "" {
		s = "<input>"
	}
	if p.Line > 0 {
		s += fmt.Sprintf(":%d:%d", p.Line, p.Column)
	}
	return s
}

// File is one source file in a FileSet.
type File struct {
	name  string
	base  int
	size  int
	lines []int // offsets of line starts
}

// Name is the file's name as given to AddFile.
func (f *File) Name() string { return f.name }

// Pos converts an offset in the file to a Pos.
func (f *File) Pos(off int) Pos { return Pos(f.base + off) }

// FileSet maps Pos values to files, lines and columns.
type FileSet struct {
	files []*File
	next  int
}

// NewFileSet returns an empty file set.
func NewFileSet() *FileSet { return &FileSet{next: 1} }

// AddFile registers a source file of the given content.
func (s *FileSet) AddFile(name string, src []byte) *File {
	f := &File{name: name, base: s.next, size: len(src), lines: []int{0}}
	for i, c := range src {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	s.next += len(src) + 1
	s.files = append(s.files, f)
	return f
}

// Position resolves p.
func (s *FileSet) Position(p Pos) Position {
	if s == nil || !p.IsValid() {
		return Position{}
	}
	i := sort.Search(len(s.files), func(i int) bool { return s.files[i].base > int(p) }) - 1
	if i < 0 {
		return Position{}
	}
	f := s.files[i]
	off := int(p) - f.base
	l := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
	return Position{Filename: f.name, Line: l + 1, Column: off - f.lines[l] + 1}
}
