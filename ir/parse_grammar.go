package ir

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The grammar of kiln's text form is LL(1), so participle runs without
// backtracking and its errors point at the first token that does not fit.
// The one place that would need more lookahead, an op with regions but no
// attributes, results or location, is printed with an empty attribute
// block "{}" before its regions.
//
// The grammar of kiln's text form as participle structs (docs/ir.md has the
// EBNF). The grammar only recognizes shapes of text; parse.go turns the tree
// into a Module and reports what the grammar cannot (undefined values,
// attribute kinds, element counts). A literal list is one token (the lexer
// scans it whole), so that a constant with many elements costs one token,
// not one token and one struct per element.

var kirParser = participle.MustBuild[astModule](
	participle.Lexer(kirLexDef{kirSymbols}),
)

func init() {
	// Inline constants are lists of tokens; participle's default cap of a
	// million repetitions would refuse a large constant printed inline.
	participle.MaxIterations = 1 << 30
}

type astModule struct {
	Items []*astItem `parser:"@@*"`
}

type astItem struct {
	Pos   lexer.Position
	Meta  *astMeta  `parser:"\"meta\" @@"`
	Sym   *astSym   `parser:"| \"sym\" @@"`
	Const *astConst `parser:"| \"const\" @@"`
	Func  *astFunc  `parser:"| \"func\" @@"`
}

type astMeta struct {
	Pos   lexer.Position
	Key   lexer.Token `parser:"@String \"=\""`
	Value lexer.Token `parser:"@String"`
}

type astSym struct {
	Pos  lexer.Position
	Name lexer.Token `parser:"@(Ident | String) \"in\" \"[\""`
	Min  lexer.Token `parser:"@Int \",\""`
	Max  lexer.Token `parser:"@(Int | \"?\") \"]\""`
}

type astConst struct {
	Pos    lexer.Position
	Name   lexer.Token `parser:"@ConstRef \":\""`
	Type   *astWord    `parser:"@@ \"=\""`
	File   *astFile    `parser:"( \"file\" @@"`
	List   *astList    `parser:"| @@"`
	Scalar *astScalar  `parser:"| @@ )"`
}

type astFile struct {
	Pos    lexer.Position
	Path   lexer.Token `parser:"\"(\" @String \",\""`
	Offset lexer.Token `parser:"\"offset\" \"=\" @Int \",\""`
	Length lexer.Token `parser:"\"length\" \"=\" @Int \",\""`
	Sum    lexer.Token `parser:"\"sha256\" \"=\" @String \")\""`
}

// astList is a bracketed list of literals: one List token, whose
// literals the converter reads from the source (converter.eachLiteral).
type astList struct {
	Pos lexer.Position
	Tok lexer.Token `parser:"@List"`
}

// astScalar is one literal, kept as tokens: -?number, string, word,
// nan(0x...), or a complex pair (re, im).
type astScalar struct {
	Pos    lexer.Position
	Tokens []lexer.Token // filled by participle: every token of the literal
	Text   string        `parser:"( @\"-\"? ( @Float | @Int | @String | @Ident ( \"(\" Hex \")\" )? ) | @\"(\" ( !\")\" )* \")\" )"`
}

// astWord is an identifier with an optional suffix: a type (f32[1,3],
// seq<f32[?]>, opt<?>), a dtype (f32), a word (inf, nan, true), or a NaN
// with its bits (nan(0x7fc00001)).
type astWord struct {
	Pos     lexer.Position
	Name    string      `parser:"@Ident"`
	Elem    *astElem    `parser:"( \"<\" @@ \">\""`
	Shape   *astShape   `parser:"| @@"`
	NaNBits lexer.Token `parser:"| \"(\" @Hex \")\" )?"`
}

type astElem struct {
	Unknown bool     `parser:"@\"?\""`
	Type    *astWord `parser:"| @@"`
}

type astShape struct {
	Pos     lexer.Position
	Unknown bool      `parser:"\"[\" @\"*\"?"`
	Dims    []*astDim `parser:"( @@ ( \",\" @@ )* )? \"]\""`
}

type astFunc struct {
	Pos    lexer.Position
	Name   lexer.Token `parser:"@ConstRef"`
	Params []*astParam `parser:"\"(\" ( @@ ( \",\" @@ )* )? \")\""`
	Outs   []*astOut   `parser:"\"->\" \"(\" ( @@ ( \",\" @@ )* )? \")\""`
	Body   []*astStmt  `parser:"\"{\" @@*"`
	Close  lexer.Token `parser:"@\"}\""` // where comments before and after "}" belong
}

type astParam struct {
	Pos  lexer.Position
	Name lexer.Token  `parser:"@ValueRef"`
	Ext  *lexer.Token `parser:"@String?"`
	Type *astWord     `parser:"\":\" @@"`
}

type astOut struct {
	Pos  lexer.Position
	Ext  lexer.Token `parser:"@String"`
	Type *astWord    `parser:"\":\" @@"`
}

type astStmt struct {
	Pos    lexer.Position
	Return *astReturn `parser:"\"return\" @@"`
	Op     *astOp     `parser:"| @@"`
}

type astReturn struct {
	Pos  lexer.Position
	Vals []*astRef `parser:"( @@ ( \",\" @@ )* )?"`
}

type astOp struct {
	Pos     lexer.Position
	Results []*astDef   `parser:"( @@ ( \",\" @@ )* \"=\" )?"`
	Name    lexer.Token `parser:"@Ident"`
	Args    []*astRef   `parser:"\"(\" ( @@ ( \",\" @@ )* )? \")\""`
	Attrs   []*astAttr  `parser:"( \"{\" ( @@ ( \",\" @@ )* )? \"}\" )?"`
	Types   []*astWord  `parser:"( \":\" @@ ( \",\" @@ )* )?"`
	Locs    []*astLoc   `parser:"( \"loc\" \"(\" @@ ( \",\" @@ )* \")\" )?"`
	Block   *astBlock   `parser:"@@?"`
}

// astBlock is an op's regions in braces.
type astBlock struct {
	Regions []*astRegion `parser:"\"{\" @@*"`
	Close   lexer.Token  `parser:"@\"}\""`
}

type astAttr struct {
	Pos   lexer.Position
	Name  lexer.Token  `parser:"@(Ident | String) \"=\""`
	Const *lexer.Token `parser:"( @ConstRef"`
	List  *astList     `parser:"| @@"`
	Word  *astWord     `parser:"| @@"`
	Lit   *astScalar   `parser:"| @@ )"`
}

type astRegion struct {
	Pos    lexer.Position
	Name   lexer.Token `parser:"@(Ident | String)"`
	Params []*astParam `parser:"\"(\" ( @@ ( \",\" @@ )* )? \")\""`
	Body   []*astStmt  `parser:"\"{\" @@*"`
	Close  lexer.Token `parser:"@\"}\""`
}

// Single tokens in lists are wrapped in structs: participle replaces a
// []lexer.Token field on every capture instead of appending to it.

// astDim is a dim's tokens (as their text: quoted strings keep their
// quotes); converter.shape parses the expression they spell (dimParser in
// dim.go). A []string field collects every token of the repetition.
type astDim struct {
	Pos  lexer.Position
	Toks []string `parser:"@(Int | Ident | String | \"?\" | \"+\" | \"-\" | \"*\" | \"/\" | \"(\" | \")\")+"`
}

type astRef struct {
	Tok lexer.Token `parser:"@(ValueRef | ConstRef | \"_\")"`
}

type astLoc struct {
	Tok lexer.Token `parser:"@String"`
}

type astDef struct {
	Tok lexer.Token `parser:"@ValueRef"`
}
