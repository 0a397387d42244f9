package syntax

import (
	"bytes"
	"strconv"
)

// Item is one scanned token.
type Item struct {
	Tok Token
	Pos Pos
	Lit string // identifier, number text, decoded text, regex source, hex body
	// For REGEX: the flags after the closing slash ("i", "s", "is").
	Flags string
	// For INT: the value; for FLOAT: F.
	I int64
	F float64
}

// maxTokenLen bounds identifiers and literals (YARA caps identifiers at 128).
const maxIdentLen = 128

// Scan splits src into tokens. Lexical errors are reported to errs with
// positions from file; scanning continues after them.
func Scan(file *File, src []byte, errs *ErrorList, fset *FileSet) []Item {
	s := &scanner{src: src, file: file, errs: errs, fset: fset}
	var out []Item
	for {
		it := s.next(len(out) > 0 && out[len(out)-1].Tok == ASSIGN)
		out = append(out, it)
		if it.Tok == EOF {
			return out
		}
	}
}

type scanner struct {
	src  []byte
	i    int
	file *File
	errs *ErrorList
	fset *FileSet
}

func (s *scanner) errorf(off int, format string, args ...any) {
	s.errs.Add(s.fset.Position(s.file.Pos(off)), "syntax", format, args...)
}

func (s *scanner) skip() {
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			s.i++
		case c == '/' && s.i+1 < len(s.src) && s.src[s.i+1] == '/':
			for s.i < len(s.src) && s.src[s.i] != '\n' {
				s.i++
			}
		case c == '/' && s.i+1 < len(s.src) && s.src[s.i+1] == '*':
			end := bytes.Index(s.src[s.i+2:], []byte("*/"))
			if end < 0 {
				s.errorf(s.i, "comment not terminated")
				s.i = len(s.src)
				return
			}
			s.i += end + 4
		default:
			return
		}
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func (s *scanner) next(afterAssign bool) Item {
	s.skip()
	start := s.i
	it := Item{Pos: s.file.Pos(start)}
	if s.i >= len(s.src) {
		it.Tok = EOF
		return it
	}
	c := s.src[s.i]
	switch {
	case isLetter(c):
		for s.i < len(s.src) && (isLetter(s.src[s.i]) || isDigit(s.src[s.i])) {
			s.i++
		}
		it.Lit = string(s.src[start:s.i])
		if len(it.Lit) > maxIdentLen {
			s.errorf(start, "identifier too long")
		}
		if kw, ok := keywords[it.Lit]; ok {
			it.Tok = kw
		} else {
			it.Tok = IDENT
		}
		return it
	case isDigit(c):
		return s.number(it)
	case c == '$' || c == '#' || c == '@' || (c == '!' && s.i+1 < len(s.src) && isLetter(s.src[s.i+1])):
		s.i++
		for s.i < len(s.src) && (isLetter(s.src[s.i]) || isDigit(s.src[s.i])) {
			s.i++
		}
		if c == '$' && s.i < len(s.src) && s.src[s.i] == '*' {
			s.i++
		}
		it.Lit = string(s.src[start+1 : s.i])
		it.Tok = map[byte]Token{'$': STRINGID, '#': STRCOUNT, '@': STROFFSET, '!': STRLENGTH}[c]
		return it
	case c == '"':
		return s.text(it)
	case c == '/':
		return s.regex(it)
	case c == '{' && afterAssign:
		end := hexEnd(s.src[s.i:])
		if end < 0 {
			s.errorf(start, "hex string not terminated")
			s.i = len(s.src)
			it.Tok = ILLEGAL
			return it
		}
		it.Tok = HEX
		it.Lit = string(s.src[s.i+1 : s.i+end])
		s.i += end + 1
		return it
	}
	two := ""
	if s.i+1 < len(s.src) {
		two = string(s.src[s.i : s.i+2])
	}
	if t, ok := twoChar[two]; ok {
		s.i += 2
		it.Tok = t
		return it
	}
	if t, ok := oneChar[c]; ok {
		s.i++
		it.Tok = t
		return it
	}
	s.i++
	s.errorf(start, "unexpected character %q", c)
	it.Tok = ILLEGAL
	return it
}

var twoChar = map[string]Token{"..": DOTDOT, "==": EQ, "!=": NEQ, "<=": LE, ">=": GE, "<<": SHL, ">>": SHR}

var oneChar = map[byte]Token{'(': LPAREN, ')': RPAREN, '[': LBRACK, ']': RBRACK, '{': LBRACE, '}': RBRACE,
	':': COLON, ',': COMMA, '.': DOT, '=': ASSIGN, '<': LT, '>': GT, '+': ADD, '-': SUB, '*': MUL,
	'\\': DIV, '%': MOD, '&': AND_BIT, '|': OR_BIT, '^': XOR_BIT, '~': NOT_BIT}

func (s *scanner) number(it Item) Item {
	start := s.i
	base := 10
	if s.i+1 < len(s.src) && s.src[s.i] == '0' && (s.src[s.i+1] == 'x' || s.src[s.i+1] == 'X') {
		base = 16
		s.i += 2
	} else if s.i+1 < len(s.src) && s.src[s.i] == '0' && s.src[s.i+1] == 'o' {
		base = 8
		s.i += 2
	}
	ds := s.i
	for s.i < len(s.src) && (isDigit(s.src[s.i]) || base == 16 && isHexDigit(s.src[s.i])) {
		s.i++
	}
	digits := string(s.src[ds:s.i])
	if base == 10 && s.i+1 < len(s.src) && s.src[s.i] == '.' && isDigit(s.src[s.i+1]) {
		s.i++
		for s.i < len(s.src) && isDigit(s.src[s.i]) {
			s.i++
		}
		it.Tok = FLOAT
		it.Lit = string(s.src[start:s.i])
		it.F, _ = strconv.ParseFloat(it.Lit, 64)
		return it
	}
	it.Tok = INT
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil || v > 1<<63-1 {
		s.errorf(start, "integer %q out of range", string(s.src[start:s.i]))
	}
	if base == 10 && s.i+1 < len(s.src) && (s.src[s.i] == 'K' || s.src[s.i] == 'M') && s.src[s.i+1] == 'B' {
		mul := uint64(1024)
		if s.src[s.i] == 'M' {
			mul = 1024 * 1024
		}
		if v > (1<<63-1)/mul {
			s.errorf(start, "integer %q out of range", string(s.src[start:s.i+2]))
		}
		v *= mul
		s.i += 2
	}
	if s.i < len(s.src) && (isLetter(s.src[s.i]) || isDigit(s.src[s.i])) {
		s.errorf(start, "invalid number %q", string(s.src[start:s.i+1]))
		for s.i < len(s.src) && (isLetter(s.src[s.i]) || isDigit(s.src[s.i])) {
			s.i++
		}
	}
	it.I = int64(v)
	it.Lit = string(s.src[start:s.i])
	return it
}

func isHexDigit(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (s *scanner) text(it Item) Item {
	start := s.i
	s.i++
	var b []byte
	for {
		if s.i >= len(s.src) || s.src[s.i] == '\n' {
			s.errorf(start, "text string not terminated")
			it.Tok = TEXT
			it.Lit = string(b)
			return it
		}
		c := s.src[s.i]
		if c == '"' {
			s.i++
			break
		}
		if c != '\\' {
			b = append(b, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.src) {
			s.i++
			continue
		}
		e := s.src[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\':
			b = append(b, e)
		case 'n':
			b = append(b, '\n')
		case 't':
			b = append(b, '\t')
		case 'r':
			b = append(b, '\r')
		case 'x':
			if s.i+2 <= len(s.src) && isHexDigit(s.src[s.i]) && isHexDigit(s.src[s.i+1]) {
				v, _ := strconv.ParseUint(string(s.src[s.i:s.i+2]), 16, 8)
				b = append(b, byte(v))
				s.i += 2
			} else {
				s.errorf(s.i-2, `illegal escape sequence`)
			}
		default:
			s.errorf(s.i-2, "illegal escape sequence \\%c", e)
		}
	}
	it.Tok = TEXT
	it.Lit = string(b)
	return it
}

func (s *scanner) regex(it Item) Item {
	start := s.i
	s.i++
	var b []byte
	for {
		if s.i >= len(s.src) || s.src[s.i] == '\n' {
			s.errorf(start, "regular expression not terminated")
			it.Tok = ILLEGAL
			return it
		}
		c := s.src[s.i]
		if c == '\\' && s.i+1 < len(s.src) {
			if s.src[s.i+1] == '/' {
				b = append(b, '/')
			} else {
				b = append(b, c, s.src[s.i+1])
			}
			s.i += 2
			continue
		}
		if c == '/' {
			s.i++
			break
		}
		b = append(b, c)
		s.i++
	}
	fs := s.i
	for s.i < len(s.src) && (s.src[s.i] == 'i' || s.src[s.i] == 's') {
		s.i++
	}
	it.Tok = REGEX
	it.Lit = string(b)
	it.Flags = string(s.src[fs:s.i])
	return it
}

// hexEnd finds the closing brace of a hex string, skipping comments (which
// may contain braces).
func hexEnd(b []byte) int {
	for i := 1; i < len(b); i++ {
		switch {
		case b[i] == '}':
			return i
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			j := bytes.Index(b[i+2:], []byte("*/"))
			if j < 0 {
				return -1
			}
			i += j + 3
		}
	}
	return -1
}
