package syntax

// SourceFile is a parsed rule file: imports, includes and rules in source
// order (order matters: a rule may only refer to rules declared before it).
type SourceFile struct {
	Name  string
	Items []Decl
}

// Decl is a top-level declaration: *Import, *Include or *Rule.
type Decl interface{ declNode() }

// Import is `import "name"`.
type Import struct {
	Pos    Pos
	Module string
}

// Include is `include "path"`.
type Include struct {
	Pos  Pos
	Path string
}

// Rule is one rule declaration.
type Rule struct {
	Pos     Pos
	Name    string
	Global  bool
	Private bool
	Tags    []string
	Meta    []*Meta
	Strings []*StringDef
	Cond    Expr
	CondPos Pos
}

func (*Import) declNode()  {}
func (*Include) declNode() {}
func (*Rule) declNode()    {}

// Meta is one metadata entry; Value is a string, int64 or bool.
type Meta struct {
	Pos   Pos
	Key   string
	Value any
}

// StringKind says how a string was written.
type StringKind int

// String kinds.
const (
	TextString StringKind = iota + 1
	HexString
	RegexString
)

// StringDef is one `$id = ...` definition.
type StringDef struct {
	Pos   Pos
	ID    string // without '$'; "" for anonymous strings
	Kind  StringKind
	Value string // decoded text, hex body, or regex source
	Flags string // regex flags
	Mods  []Modifier
}

// Modifier is one string modifier.
type Modifier struct {
	Pos      Pos
	Tok      Token // NOCASE, WIDE, ASCII, FULLWORD, PRIVATE, XOR, BASE64, BASE64WIDE
	XorMin   int
	XorMax   int
	HasArg   bool   // xor(..) or base64(..) given with an argument
	Alphabet string // base64 custom alphabet
}

// Expr is a condition expression.
type Expr interface{ Position() Pos }

// Ident is an identifier (rule, module, variable or external).
type Ident struct {
	Pos  Pos
	Name string
}

// Member is X.Name.
type Member struct {
	Pos  Pos
	X    Expr
	Name string
}

// Index is X[Index].
type Index struct {
	Pos   Pos
	X     Expr
	Index Expr
}

// Call is Fun(Args...).
type Call struct {
	Pos  Pos
	Fun  Expr
	Args []Expr
}

// IntLit, FloatLit, TextLit, RegexLit and BoolLit are literals.
type (
	IntLit struct {
		Pos Pos
		V   int64
	}
	FloatLit struct {
		Pos Pos
		V   float64
	}
	TextLit struct {
		Pos Pos
		V   string
	}
	RegexLit struct {
		Pos   Pos
		Src   string
		Flags string
	}
	BoolLit struct {
		Pos Pos
		V   bool
	}
)

// Keyword is filesize, entrypoint, them.
type Keyword struct {
	Pos Pos
	Tok Token
}

// StrRef is $a, $a at X, $a in (L..H). ID "" means the current string of a
// for-of loop.
type StrRef struct {
	Pos Pos
	ID  string
	At  Expr
	In  *Range
}

// StrCount is #a or #a in (L..H).
type StrCount struct {
	Pos Pos
	ID  string
	In  *Range
}

// StrOffset is @a or @a[i]; StrLength is !a or !a[i].
type StrOffset struct {
	Pos   Pos
	ID    string
	Index Expr // nil: first match
}

// StrLength is !a or !a[i].
type StrLength struct {
	Pos   Pos
	ID    string
	Index Expr
}

// Unary is Op X with Op one of NOT, DEFINED, SUB, NOT_BIT.
type Unary struct {
	Pos Pos
	Op  Token
	X   Expr
}

// Binary is X Op Y.
type Binary struct {
	Pos  Pos
	Op   Token
	X, Y Expr
}

// Range is (Lo..Hi).
type Range struct {
	Pos    Pos
	Lo, Hi Expr
}

// Quant is the quantifier of `of` and `for`: all, any, none, an
// expression, or an expression percentage.
type Quant struct {
	Pos     Pos
	Tok     Token // ALL, ANY, NONE, or ILLEGAL for an expression
	X       Expr
	Percent bool
}

// SetItem is one member of a string set ($a, $a*, $) or rule set (r, r*).
type SetItem struct {
	Pos      Pos
	Name     string
	Wildcard bool
}

// Of is `Quant of Set [at X | in Range]`.
type Of struct {
	Pos     Pos
	Quant   *Quant
	Them    bool
	Strings []SetItem // string set ($ names without '$')
	Rules   []SetItem // rule set
	At      Expr
	In      *Range
}

// For is `for Quant Vars in Iter : (Body)` or, when Strings/Them are set,
// `for Quant of Set : (Body)`.
type For struct {
	Pos     Pos
	Quant   *Quant
	Vars    []string
	Range   *Range // for .. in (a..b)
	List    []Expr // for .. in (a, b, c)
	Iter    Expr   // for .. in module.array / dict
	Them    bool
	Strings []SetItem
	IsOf    bool
	Body    Expr
}

// Bad marks an unparsable expression.
type Bad struct{ Pos Pos }

func (x *Ident) Position() Pos     { return x.Pos }
func (x *Member) Position() Pos    { return x.Pos }
func (x *Index) Position() Pos     { return x.Pos }
func (x *Call) Position() Pos      { return x.Pos }
func (x *IntLit) Position() Pos    { return x.Pos }
func (x *FloatLit) Position() Pos  { return x.Pos }
func (x *TextLit) Position() Pos   { return x.Pos }
func (x *RegexLit) Position() Pos  { return x.Pos }
func (x *BoolLit) Position() Pos   { return x.Pos }
func (x *Keyword) Position() Pos   { return x.Pos }
func (x *StrRef) Position() Pos    { return x.Pos }
func (x *StrCount) Position() Pos  { return x.Pos }
func (x *StrOffset) Position() Pos { return x.Pos }
func (x *StrLength) Position() Pos { return x.Pos }
func (x *Unary) Position() Pos     { return x.Pos }
func (x *Binary) Position() Pos    { return x.Pos }
func (x *Range) Position() Pos     { return x.Pos }
func (x *Of) Position() Pos        { return x.Pos }
func (x *For) Position() Pos       { return x.Pos }
func (x *Bad) Position() Pos       { return x.Pos }
