// Package syntax reads YARA rule source: positions (pos.go), tokens
// (token.go), the scanner, the syntax tree (ast.go) and the parser, with an
// ErrorList that reports file:line:col. It does not resolve includes, check
// types or know about modules; the yara package's compiler does that.
// Anything may import it; it imports only the standard library.
package syntax

import "strconv"

// Token is a lexical token kind.
type Token int

// Tokens.
const (
	ILLEGAL Token = iota
	EOF
	IDENT     // foo
	STRINGID  // $a, $, $a* (in sets)
	STRCOUNT  // #a
	STROFFSET // @a
	STRLENGTH // !a
	INT       // 12, 0x10, 0o7, 2KB
	FLOAT     // 1.5
	TEXT      // "text"
	REGEX     // /re/is
	HEX       // { 4D 5A }

	LPAREN  // (
	RPAREN  // )
	LBRACK  // [
	RBRACK  // ]
	LBRACE  // {
	RBRACE  // }
	COLON   // :
	COMMA   // ,
	DOT     // .
	DOTDOT  // ..
	ASSIGN  // =
	EQ      // ==
	NEQ     // !=
	LT      // <
	LE      // <=
	GT      // >
	GE      // >=
	ADD     // +
	SUB     // -
	MUL     // *
	DIV     // \
	MOD     // %
	AND_BIT // &
	OR_BIT  // |
	XOR_BIT // ^
	NOT_BIT // ~
	SHL     // <<
	SHR     // >>

	keywordStart
	ALL
	AND
	ANY
	ASCII
	AT
	BASE64
	BASE64WIDE
	CONDITION
	CONTAINS
	DEFINED
	ENDSWITH
	ENTRYPOINT
	FALSE
	FILESIZE
	FOR
	FULLWORD
	GLOBAL
	ICONTAINS
	IENDSWITH
	IEQUALS
	IMPORT
	IN
	INCLUDE
	ISTARTSWITH
	MATCHES
	META
	NOCASE
	NONE
	NOT
	OF
	OR
	PRIVATE
	RULE
	STARTSWITH
	STRINGS
	THEM
	TRUE
	WIDE
	XOR
	keywordEnd
)

var tokenNames = map[Token]string{
	ILLEGAL: "illegal token", EOF: "end of file", IDENT: "identifier", STRINGID: "string identifier",
	STRCOUNT: "string count", STROFFSET: "string offset", STRLENGTH: "string length",
	INT: "integer", FLOAT: "float", TEXT: "text string", REGEX: "regular expression", HEX: "hex string",
	LPAREN: "(", RPAREN: ")", LBRACK: "[", RBRACK: "]", LBRACE: "{", RBRACE: "}", COLON: ":",
	COMMA: ",", DOT: ".", DOTDOT: "..", ASSIGN: "=", EQ: "==", NEQ: "!=", LT: "<", LE: "<=",
	GT: ">", GE: ">=", ADD: "+", SUB: "-", MUL: "*", DIV: `\`, MOD: "%", AND_BIT: "&",
	OR_BIT: "|", XOR_BIT: "^", NOT_BIT: "~", SHL: "<<", SHR: ">>",
}

var keywords = map[string]Token{
	"all": ALL, "and": AND, "any": ANY, "ascii": ASCII, "at": AT, "base64": BASE64,
	"base64wide": BASE64WIDE, "condition": CONDITION, "contains": CONTAINS, "defined": DEFINED,
	"endswith": ENDSWITH, "entrypoint": ENTRYPOINT, "false": FALSE, "filesize": FILESIZE,
	"for": FOR, "fullword": FULLWORD, "global": GLOBAL, "icontains": ICONTAINS,
	"iendswith": IENDSWITH, "iequals": IEQUALS, "import": IMPORT, "in": IN, "include": INCLUDE,
	"istartswith": ISTARTSWITH, "matches": MATCHES, "meta": META, "nocase": NOCASE, "none": NONE,
	"not": NOT, "of": OF, "or": OR, "private": PRIVATE, "rule": RULE, "startswith": STARTSWITH,
	"strings": STRINGS, "them": THEM, "true": TRUE, "wide": WIDE, "xor": XOR,
}

func init() {
	for k, v := range keywords {
		tokenNames[v] = k
	}
}

func (t Token) String() string {
	if s, ok := tokenNames[t]; ok {
		return s
	}
	return "token(" + strconv.Itoa(int(t)) + ")"
}

// IsKeyword reports whether t is a reserved word.
func (t Token) IsKeyword() bool { return t > keywordStart && t < keywordEnd }
