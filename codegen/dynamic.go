package codegen

import (
	"bytes"
	"fmt"
	"go/scanner"
	"go/token"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// DimRange bounds a symbolic dim that a generated package reads at run
// time: Min ≤ size ≤ Max.
type DimRange struct {
	Min, Max int64
}

// runDim is a dim read at run time: its symbol, the field of the
// generated dimVals holding it, and its bounds.
type runDim struct {
	name   string
	field  string
	lo, hi int64
}

// runtimeDims returns the dims of f's inputs that stay symbolic in the
// package, sorted by name: those opts.Ranges gives, and those neither it
// nor opts.Dims gives that the module bounds (buildRanged binds those
// whose range holds one size). A symbol of the inputs with no size and
// no upper bound anywhere is an error naming it and saying how to bound
// it, as is one that no input has as a dim of its own.
func runtimeDims(m *ir.Module, f *ir.Func, opts Options) ([]runDim, error) {
	inputs := map[string]bool{}
	plain := map[string]bool{}
	for _, p := range f.Body.Params {
		if p.Type.Kind == ir.TensorKind && p.Type.Shape.Ranked {
			for _, d := range p.Type.Shape.Dims {
				for _, s := range d.Symbols() {
					inputs[s] = true
					if d.String() == s {
						plain[s] = true
					}
				}
			}
		}
	}
	bounds := map[string]ir.SymBound{}
	for _, b := range m.Syms {
		bounds[b.Name] = b
	}
	var problems []string
	var out []runDim
	var names []string
	for s := range opts.Ranges {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		r := opts.Ranges[s]
		switch {
		case !inputs[s]:
			problems = append(problems, fmt.Sprintf("--dim %s=%d..%d: no input of the module has a dim %q", s, r.Min, r.Max, s))
			continue
		case hasKey(opts.Dims, s):
			problems = append(problems, fmt.Sprintf("dim %s is given both a size and a range", s))
			continue
		case r.Min < 0 || r.Max < r.Min:
			problems = append(problems, fmt.Sprintf("--dim %s=%d..%d: want 0 ≤ LO ≤ HI", s, r.Min, r.Max))
			continue
		}
		if b, ok := bounds[s]; ok && (r.Min < b.Min || b.Max >= 0 && r.Max > b.Max) {
			problems = append(problems, fmt.Sprintf("--dim %s=%d..%d: outside the symbol's bounds %s", s, r.Min, r.Max, boundText(b)))
			continue
		}
		if !plain[s] && r.Min != r.Max {
			problems = append(problems, fmt.Sprintf("--dim %s=%d..%d: no input has %s as a dim of its own (only in expressions), so Run cannot read it; give --dim %s=N", s, r.Min, r.Max, s, s))
			continue
		}
		out = append(out, runDim{name: s, lo: r.Min, hi: r.Max})
	}
	var free []string
	for s := range inputs {
		if !hasKey(opts.Dims, s) && !hasKey(opts.Ranges, s) {
			free = append(free, s)
		}
	}
	sort.Strings(free)
	for _, s := range free {
		b, ok := bounds[s]
		if !ok || b.Max < 0 {
			problems = append(problems, fmt.Sprintf("symbolic dim %s has no upper bound: give --dim %s=N for one size or --dim %s=LO..HI for a range read at run time, or bound it in the target profile (dim %s=MAX)", s, s, s, s))
			continue
		}
		if !plain[s] && b.Min != b.Max {
			problems = append(problems, fmt.Sprintf("symbolic dim %s: no input has it as a dim of its own (only in expressions), so Run cannot read it; give --dim %s=N", s, s))
			continue
		}
		out = append(out, runDim{name: s, lo: b.Min, hi: b.Max})
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	fields := goNames(func() []string {
		var n []string
		for _, r := range out {
			n = append(n, r.name)
		}
		return n
	}())
	for i := range out {
		out[i].field = "d" + fields[i]
	}
	return out, nil
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// boundText prints module bounds as [min, max], "?" for no maximum.
func boundText(b ir.SymBound) string {
	if b.Max < 0 {
		return fmt.Sprintf("[%d, ?]", b.Min)
	}
	return fmt.Sprintf("[%d, %d]", b.Min, b.Max)
}

// buildRanged writes a package whose dims rs are read at run time. It
// specializes the function at several bindings of rs inside their
// bounds (probes), each with the memory plan's offsets fixed by the sizes
// at the upper bounds, and requires the generated sources to agree at
// every probe except in their integer literals. Each literal that varies
// must be a polynomial in the dims (integer coefficients, degree at most
// two in each): fitted on a grid of probes and checked on the others, it
// becomes a Go expression over the sizes Run reads from the inputs.
// Kernels whose code changes form with a dim (a loop unrolled by a
// size, a branch on a size), weights that depend on a dim and sizes that
// are no such polynomial are refused with an error naming the op, the
// node and the dim, so that the user can bind it.
func buildRanged(m *ir.Module, fname string, opts Options, rs []runDim) (*build, error) {
	fixed := map[string]int64{}
	for s, n := range opts.Dims {
		fixed[s] = n
	}
	var dyn []runDim
	for _, r := range rs {
		if r.lo == r.hi {
			fixed[r.name] = r.lo
			continue
		}
		dyn = append(dyn, r)
	}
	if len(dyn) == 0 {
		return buildAt(m, fname, opts, fixed, nil)
	}
	probes, grid := probePoints(dyn)
	bindAt := func(p []int64) map[string]int64 {
		b := map[string]int64{}
		for s, n := range fixed {
			b[s] = n
		}
		for i, r := range dyn {
			b[r.name] = p[i]
		}
		return b
	}
	// The upper bounds first: their buffer sizes place every probe's.
	top := probes[0]
	hi, err := buildAt(m, fname, opts, bindAt(top), nil, dyn...)
	if err != nil {
		return nil, fmt.Errorf("compiling for the upper bounds %s: %w", pointText(dyn, top), err)
	}
	place := make([]int, len(hi.g.bufs))
	for i, b := range hi.g.bufs {
		place[i] = b.size
	}
	builds := []*build{hi}
	for _, p := range probes[1:] {
		if slices.Equal(p, top) {
			builds = append(builds, hi)
			continue
		}
		bd, err := buildAt(m, fname, opts, bindAt(p), place, dyn...)
		if err != nil {
			return nil, fmt.Errorf("compiling for %s to read %s at run time: %w; narrow the range or bind the dim with --dim NAME=N", pointText(dyn, p), dimList(dyn), err)
		}
		builds = append(builds, bd)
	}
	t := &templater{dyn: dyn, probes: probes, grid: grid, builds: builds}
	for i, bd := range builds[1:] {
		if !bytes.Equal(bd.blob, hi.blob) {
			return nil, fmt.Errorf("the weights differ between %s and %s: %s; bind the dims with --dim NAME=N", pointText(dyn, top), pointText(dyn, probes[i+1]), t.weightDiff(bd))
		}
		if len(bd.gen) != len(hi.gen) {
			return nil, fmt.Errorf("the package's files differ between %s and %s; bind the dims with --dim NAME=N", pointText(dyn, top), pointText(dyn, probes[i+1]))
		}
	}
	for i := range hi.g.bufs {
		for k, bd := range builds {
			if inside(dyn, probes[k]) && bd.g.bufs[i].size > place[i] {
				return nil, fmt.Errorf("buffer %d of the memory plan holds %d elements at %s, more than its %d at the upper bounds: its size does not grow with the dims", i, bd.g.bufs[i].size, pointText(dyn, probes[k]), place[i])
			}
		}
	}
	gen, err := t.templates()
	if err != nil {
		return nil, err
	}
	hi.gen = gen
	hi.g.runtime = t.kernelDims
	return hi, nil
}

// probePoints returns the bindings buildRanged specializes at: the upper
// bounds first (where buffers are placed), then a grid of three sizes
// per dim (where the polynomials are fitted; grid is its number of
// points, which follow the first), then a few more points (where they
// are checked): the lowest probed sizes, one above them, bounds mixed,
// and sizes picked by a fixed pseudo-random sequence.
func probePoints(dyn []runDim) (points [][]int64, grid int) {
	vals := make([][]int64, len(dyn))
	top := make([]int64, len(dyn))
	for i, r := range dyn {
		top[i] = r.hi
		lo := probeLow(r)
		span := r.hi - lo
		// Three distinct sizes, inside the range when it holds three
		// from lo up, else reaching past hi (a size the model takes,
		// used to fit, never to place buffers).
		for _, v := range []int64{r.hi, lo + span/2, lo + 1 + span/5, lo, lo + 1, r.hi + 1, r.hi + 2} {
			if len(vals[i]) < 3 && v >= lo && !slices.Contains(vals[i], v) {
				vals[i] = append(vals[i], v)
			}
		}
	}
	points = append(points, top)
	// The grid.
	idx := make([]int, len(dyn))
	for {
		p := make([]int64, len(dyn))
		for i := range dyn {
			p[i] = vals[i][idx[i]]
		}
		points = append(points, p)
		k := len(dyn) - 1
		for k >= 0 {
			idx[k]++
			if idx[k] < len(vals[k]) {
				break
			}
			idx[k] = 0
			k--
		}
		if k < 0 {
			break
		}
	}
	grid = len(points) - 1
	seen := map[string]bool{}
	for _, p := range points[1:] {
		seen[fmt.Sprint(p)] = true
	}
	add := func(p []int64) {
		if !seen[fmt.Sprint(p)] {
			seen[fmt.Sprint(p)] = true
			points = append(points, p)
		}
	}
	lo, lo1, mixed, rnd := make([]int64, len(dyn)), make([]int64, len(dyn)), make([]int64, len(dyn)), make([]int64, len(dyn))
	x := uint64(0x9e3779b97f4a7c15)
	for i, r := range dyn {
		r.lo = probeLow(r)
		lo[i] = r.lo
		lo1[i] = min(r.lo+1, r.hi)
		mixed[i] = r.lo
		if i%2 == 1 {
			mixed[i] = r.hi
		}
		x = x*6364136223846793005 + 1442695040888963407
		rnd[i] = r.lo + int64((x>>33)%uint64(r.hi-r.lo+1))
	}
	for _, p := range [][]int64{lo, lo1, mixed, rnd} {
		add(p)
	}
	return points, grid
}

// dimList names the dims: "seq", "batch, seq".
func dimList(dyn []runDim) string {
	var n []string
	for _, r := range dyn {
		n = append(n, r.name)
	}
	return strings.Join(n, ", ")
}

// inside reports whether p lies within the ranges.
func inside(dyn []runDim, p []int64) bool {
	for i, r := range dyn {
		if p[i] < r.lo || p[i] > r.hi {
			return false
		}
	}
	return true
}

// probeLow is the smallest size buildRanged specializes dim r at: 2
// when the range goes higher. Emitters drop dims of size 1 and skip
// empty loops, forms that a size read at run time cannot take; the code
// written for sizes of 2 and more is the general form, and runs sizes 0
// and 1 too (the tests run them against the interpreter).
func probeLow(r runDim) int64 {
	if r.lo < 2 && r.hi >= 2 {
		return 2
	}
	return r.lo
}

// pointText spells a probe: seq=7, batch=2.
func pointText(dyn []runDim, p []int64) string {
	parts := make([]string, len(dyn))
	for i, r := range dyn {
		parts[i] = fmt.Sprintf("%s=%d", r.name, p[i])
	}
	return strings.Join(parts, ", ")
}

// templater turns the sources of every probe into the sources of one
// package.
type templater struct {
	dyn    []runDim
	probes [][]int64
	grid   int
	builds []*build
	// kernelDims maps each kernel function that reads dims at run time
	// to their names.
	kernelDims map[string][]string
	// inv is the inverse of the grid's monomial matrix; fits memoizes
	// the polynomials fitted, by the values at every probe.
	inv  [][]*big.Rat
	fits map[string]*poly
}

// weightDiff names the first weight whose bytes differ from the upper
// bounds' in bd.
func (t *templater) weightDiff(bd *build) string {
	hi := t.builds[0].g
	for i, w := range hi.weights {
		if i >= len(bd.g.weights) {
			break
		}
		if !bytes.Equal(w.weightBytes(), bd.g.weights[i].weightBytes()) {
			return fmt.Sprintf("constant @%s depends on them (a shape folded into a weight)", w.v.Const.Name)
		}
	}
	return fmt.Sprintf("%d weights against %d", len(hi.weights), len(bd.g.weights))
}

// piece is a stretch of generated source: fixed text, or a decimal
// integer (num) in code, a comment or a string literal.
type piece struct {
	text string
	num  bool
	val  int64
	ctx  token.Token // token.INT, token.COMMENT or token.STRING
	fn   string      // the top-level function it lies in
	// call marks the '(' after the name of a function called or
	// declared here (decl: declared), where a dims parameter may go.
	call string
	decl bool
}

// lexPieces splits Go source into pieces.
func lexPieces(src string) ([]piece, error) {
	var s scanner.Scanner
	fset := token.NewFileSet()
	file := fset.AddFile("gen.go", -1, len(src))
	var errs []string
	s.Init(file, []byte(src), func(pos token.Position, msg string) { errs = append(errs, msg) }, scanner.ScanComments)
	var out []piece
	last := 0
	depth := 0
	fn := ""
	// The two tokens before this one, newest last.
	var prev [2]token.Token
	var prevLit [2]string
	push := func(tok token.Token, lit string) {
		prev[0], prevLit[0] = prev[1], prevLit[1]
		prev[1], prevLit[1] = tok, lit
	}
	wantName := false
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		off := file.Offset(pos)
		if tok == token.SEMICOLON && lit == "\n" {
			push(tok, lit)
			continue
		}
		text := lit
		if text == "" {
			text = tok.String()
		}
		if off > last {
			out = append(out, piece{text: src[last:off], fn: fn})
		}
		end := off + len(text)
		switch tok {
		case token.INT:
			if v, err := strconv.ParseInt(text, 10, 64); err == nil && (text == "0" || text[0] != '0') {
				out = append(out, piece{text: text, num: true, val: v, ctx: token.INT, fn: fn})
			} else {
				out = append(out, piece{text: text, fn: fn})
			}
		case token.COMMENT, token.STRING:
			out = append(out, splitDigits(text, tok, fn)...)
		default:
			p := piece{text: text, fn: fn}
			if tok == token.LPAREN && prev[1] == token.IDENT {
				p.call = prevLit[1]
				p.decl = prev[0] == token.FUNC
			}
			out = append(out, p)
		}
		switch tok {
		case token.FUNC:
			if depth == 0 {
				wantName = true
			}
		case token.IDENT:
			if wantName && depth == 0 {
				fn, wantName = lit, false
				// Pieces of the signature belong to the function.
				for k := len(out) - 1; k >= 0 && out[k].fn == ""; k-- {
					out[k].fn = fn
					if strings.HasPrefix(out[k].text, "func") {
						break
					}
				}
			}
		case token.LBRACE:
			depth++
		case token.RBRACE:
			depth--
			if depth == 0 {
				fn = ""
			}
		}
		push(tok, lit)
		last = end
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", errs[0])
	}
	if last < len(src) {
		out = append(out, piece{text: src[last:], fn: fn})
	}
	return out, nil
}

// splitDigits splits a comment or string literal into fixed text and
// its decimal numbers (runs of digits not touching letters, digits, '_'
// or '.': the 7 of "f32[1,7]", not the 32).
func splitDigits(text string, ctx token.Token, fn string) []piece {
	var out []piece
	word := func(c byte) bool {
		return c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	start := 0
	for i := 0; i < len(text); {
		c := text[i]
		if c >= '0' && c <= '9' && (i == 0 || !word(text[i-1])) {
			j := i
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
			if (j == len(text) || !word(text[j])) && j-i < 16 {
				v, _ := strconv.ParseInt(text[i:j], 10, 64)
				if i > start {
					out = append(out, piece{text: text[start:i], fn: fn})
				}
				out = append(out, piece{text: text[i:j], num: true, val: v, ctx: ctx, fn: fn})
				start = j
			}
			i = j
			continue
		}
		i++
	}
	if start < len(text) {
		out = append(out, piece{text: text[start:], fn: fn})
	}
	return out
}

// templates returns the package's sources: the upper bounds' with each
// integer that varies between probes replaced by its polynomial in the
// dims, and a dims parameter added to each kernel that reads one.
func (t *templater) templates() (map[string]string, error) {
	hi := t.builds[0]
	names := make([]string, 0, len(hi.gen))
	for n := range hi.gen {
		names = append(names, n)
	}
	sort.Strings(names)
	lexed := map[string][][]piece{}
	for _, name := range names {
		for k, bd := range t.builds {
			src, ok := bd.gen[name]
			if !ok {
				return nil, fmt.Errorf("the package has %s at %s but not at %s; bind the dims with --dim NAME=N", name, pointText(t.dyn, t.probes[0]), pointText(t.dyn, t.probes[k]))
			}
			ps, err := lexPieces(src)
			if err != nil {
				return nil, fmt.Errorf("internal error: generated %s: %v", name, err)
			}
			lexed[name] = append(lexed[name], ps)
		}
	}
	// Fit every varying number; note the functions that read dims.
	exprs := map[string]map[int]string{}
	t.kernelDims = map[string][]string{}
	needDims := map[string]bool{}
	for _, name := range names {
		all := lexed[name]
		base := all[0]
		exprs[name] = map[int]string{}
		for k, ps := range all[1:] {
			if err := t.sameForm(base, ps, k+1); err != nil {
				return nil, err
			}
		}
		for i, p := range base {
			if !p.num {
				continue
			}
			vals := make([]int64, len(all))
			varies := false
			for k, ps := range all {
				vals[k] = ps[i].val
				varies = varies || vals[k] != p.val
			}
			if !varies {
				continue
			}
			poly, err := t.fit(vals)
			if err != nil {
				return nil, t.blame(p, vals, err)
			}
			switch p.ctx {
			case token.STRING:
				return nil, t.blame(p, vals, fmt.Errorf("a message spells it as a constant"))
			case token.INT:
				if p.fn == "" {
					return nil, t.blame(p, vals, fmt.Errorf("it sizes a declaration outside any function"))
				}
				exprs[name][i] = poly.goExpr(t.dyn)
				if p.fn != "Run" {
					needDims[p.fn] = true
					t.kernelDims[p.fn] = mergeNames(t.kernelDims[p.fn], poly.vars(t.dyn))
				}
			default:
				exprs[name][i] = poly.text(t.dyn)
			}
		}
	}
	out := map[string]string{}
	for _, name := range names {
		var b strings.Builder
		for i, p := range lexed[name][0] {
			if e, ok := exprs[name][i]; ok {
				b.WriteString(e)
				continue
			}
			b.WriteString(p.text)
			if p.call != "" && needDims[p.call] {
				if p.decl {
					b.WriteString("dv dimVals, ")
				} else {
					b.WriteString("dv, ")
				}
			}
		}
		out[name] = b.String()
	}
	t.share(out)
	return out, nil
}

// share merges the kernels whose written bodies are identical: the
// probes gave every op its own kernel, since two kernels identical at
// one binding may differ at another.
func (t *templater) share(out map[string]string) {
	g := t.builds[0].g
	src := out["kernels.go"]
	type chunk struct {
		fn         *kfunc
		start, end int
	}
	var chunks []chunk
	for _, fn := range g.funcs {
		i := strings.Index(src, "\n// "+fn.name+" computes ")
		if i < 0 {
			return
		}
		chunks = append(chunks, chunk{fn: fn, start: i + 1})
	}
	sort.Slice(chunks, func(i, j int) bool { return chunks[i].start < chunks[j].start })
	for i := range chunks {
		if i+1 < len(chunks) {
			chunks[i].end = chunks[i+1].start
		} else {
			chunks[i].end = len(src)
		}
	}
	first := map[string]*kfunc{}
	merged := map[*kfunc]*kfunc{}
	var kept []chunk
	for _, c := range chunks {
		text := src[c.start:c.end]
		key := strings.ReplaceAll(text, c.fn.name, "\x00")
		if k, ok := first[key]; ok {
			merged[c.fn] = k
			k.uses += c.fn.uses
			continue
		}
		first[key] = c.fn
		kept = append(kept, c)
	}
	if len(merged) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString(src[:chunks[0].start])
	for _, c := range kept {
		text := src[c.start:c.end]
		if c.fn.uses > 1 {
			text = strings.Replace(text, "(one call).", fmt.Sprintf("(%d calls).", c.fn.uses), 1)
		}
		b.WriteString(text)
	}
	out["kernels.go"] = b.String()
	var funcs []*kfunc
	for _, fn := range g.funcs {
		if merged[fn] == nil {
			funcs = append(funcs, fn)
		}
	}
	g.funcs = funcs
	for _, c := range g.calls {
		if k := merged[c.fn]; k != nil {
			c.fn = k
		}
	}
	for name, text := range out {
		if name == "kernels.go" {
			continue
		}
		for dup, k := range merged {
			text = replaceCalls(text, dup.name, k.name)
		}
		out[name] = text
	}
	for dup, k := range merged {
		if d := t.kernelDims[dup.name]; d != nil {
			t.kernelDims[k.name] = mergeNames(t.kernelDims[k.name], d)
			delete(t.kernelDims, dup.name)
		}
	}
	t.renumber(out)
}

// renumber names the kernels left after sharing matMul1, matMul2, ... in
// order again, through temporary names so that no rename meets a name
// still in use.
func (t *templater) renumber(out map[string]string) {
	g := t.builds[0].g
	count := map[string]int{}
	type rename struct{ from, tmp, to string }
	var rs []rename
	for i, fn := range g.funcs {
		count[fn.op]++
		to := fmt.Sprintf("%s%d", funcBase(fn.op), count[fn.op])
		if to != fn.name {
			rs = append(rs, rename{fn.name, fmt.Sprintf("kilnRenamed%d", i), to})
		}
	}
	for _, phase := range []func(r rename) (string, string){
		func(r rename) (string, string) { return r.from, r.tmp },
		func(r rename) (string, string) { return r.tmp, r.to },
	} {
		for name, text := range out {
			for _, r := range rs {
				from, to := phase(r)
				text = replaceCalls(text, from, to)
				text = strings.ReplaceAll(text, "\n// "+from+" computes ", "\n// "+to+" computes ")
			}
			out[name] = text
		}
	}
	for _, r := range rs {
		if d, ok := t.kernelDims[r.from]; ok {
			delete(t.kernelDims, r.from)
			t.kernelDims[r.tmp] = d
		}
	}
	for _, r := range rs {
		if d, ok := t.kernelDims[r.tmp]; ok {
			delete(t.kernelDims, r.tmp)
			t.kernelDims[r.to] = d
		}
	}
	byName := map[string]*kfunc{}
	for _, fn := range g.funcs {
		byName[fn.name] = fn
	}
	for _, r := range rs {
		byName[r.from].name = r.to
	}
}

// replaceCalls renames the calls of function from in Go source to to.
func replaceCalls(src, from, to string) string {
	var b strings.Builder
	for {
		i := strings.Index(src, from+"(")
		if i < 0 {
			b.WriteString(src)
			return b.String()
		}
		if i > 0 && isIdentByte(src[i-1]) {
			b.WriteString(src[:i+len(from)])
			src = src[i+len(from):]
			continue
		}
		b.WriteString(src[:i])
		b.WriteString(to)
		src = src[i+len(from):]
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func mergeNames(a, b []string) []string {
	set := map[string]bool{}
	for _, s := range append(append([]string(nil), a...), b...) {
		set[s] = true
	}
	var out []string
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// sameForm checks that the sources of probe k have the form of the upper
// bounds' (a, the same text but for numbers), naming the function where
// they part.
func (t *templater) sameForm(a, b []piece, k int) error {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i].num != b[i].num || (!a[i].num && a[i].text != b[i].text) {
			return fmt.Errorf("%w (the code reads %q at one size, %q at the other)", t.formError(a[i].fn, k), pieceContext(a, i), pieceContext(b, i))
		}
	}
	if len(a) != len(b) {
		fn := ""
		if n < len(a) {
			fn = a[n].fn
		}
		return t.formError(fn, k)
	}
	return nil
}

// pieceContext is the text around piece i, on one line, for messages.
func pieceContext(ps []piece, i int) string {
	var b strings.Builder
	for k := max(0, i-6); k < min(len(ps), i+4); k++ {
		b.WriteString(ps[k].text)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func (t *templater) formError(fn string, k int) error {
	where := t.fnText(fn)
	return fmt.Errorf("%s is written differently at %s than at %s, so it cannot read %s at run time yet; bind it with --dim NAME=N",
		where, pointText(t.dyn, t.probes[k]), pointText(t.dyn, t.probes[0]), t.dimNames())
}

func (t *templater) dimNames() string {
	var n []string
	for _, r := range t.dyn {
		n = append(n, r.name)
	}
	if len(n) == 1 {
		return "dim " + n[0]
	}
	return "dims " + strings.Join(n, ", ")
}

// fnText names a generated function for messages: a kernel with its op
// and nodes at the upper bounds.
func (t *templater) fnText(fn string) string {
	if fn == "" {
		return "the package's declarations"
	}
	if fn == "Run" {
		return "Run"
	}
	var nodes []string
	op := ""
	for _, c := range t.builds[0].g.calls {
		if c.fn != nil && c.fn.name == fn {
			op = c.op.Name
			nodes = append(nodes, nodeName(c.op))
		}
	}
	if op == "" {
		return "function " + fn
	}
	if len(nodes) > 3 {
		nodes = append(nodes[:3], "...")
	}
	return fmt.Sprintf("the %s kernel %s (node %s)", op, fn, strings.Join(nodes, ", "))
}

// blame explains why a varying number cannot be read at run time.
func (t *templater) blame(p piece, vals []int64, err error) error {
	var dims []string
	for i, r := range t.dyn {
		// The dim matters when two grid points differing only in it
		// give different values.
		found := false
		for a := 1; a <= t.grid && !found; a++ {
			for b := a + 1; b <= t.grid && !found; b++ {
				found = onlyDiffers(t.probes[a], t.probes[b], i) && vals[a] != vals[b]
			}
		}
		if found {
			dims = append(dims, r.name)
		}
	}
	if len(dims) == 0 {
		for _, r := range t.dyn {
			dims = append(dims, r.name)
		}
	}
	var seen []string
	for k, v := range vals {
		seen = append(seen, fmt.Sprintf("%d at %s", v, pointText(t.dyn, t.probes[k])))
		if k == 3 {
			break
		}
	}
	return fmt.Errorf("%s: a size (%s) cannot be computed at run time from %s: %v; bind %s with --dim NAME=N",
		t.fnText(p.fn), strings.Join(seen, "; "), strings.Join(dims, ", "), err, strings.Join(dims, ", "))
}

func onlyDiffers(a, b []int64, i int) bool {
	for k := range a {
		if (k == i) == (a[k] == b[k]) {
			return false
		}
	}
	return true
}

// poly is a polynomial in the dims with integer coefficients: one
// exponent per dim for each term, and the term's coefficient.
type poly struct {
	exps  [][]int
	coefs []int64
}

// fit finds the polynomial through the grid probes' values (degree at
// most the grid's size per dim less one) and checks it on the others.
func (t *templater) fit(vals []int64) (*poly, error) {
	nd := len(t.dyn)
	deg := make([]int, nd)
	// The grid's distinct values per dim give the degrees.
	for i := range t.dyn {
		set := map[int64]bool{}
		for _, p := range t.probes[1 : 1+t.grid] {
			set[p[i]] = true
		}
		deg[i] = len(set) - 1
	}
	var exps [][]int
	e := make([]int, nd)
	for {
		exps = append(exps, append([]int(nil), e...))
		k := nd - 1
		for k >= 0 {
			e[k]++
			if e[k] <= deg[k] {
				break
			}
			e[k] = 0
			k--
		}
		if k < 0 {
			break
		}
	}
	n := len(exps)
	if n != t.grid {
		return nil, fmt.Errorf("internal error: %d monomials for %d grid points", n, t.grid)
	}
	key := fmt.Sprint(vals)
	if p, ok := t.fits[key]; ok {
		return p, nil
	}
	if t.inv == nil {
		inv, err := gridInverse(t.probes[1:1+n], exps)
		if err != nil {
			return nil, err
		}
		t.inv = inv
	}
	// The coefficients are the inverse of the grid's monomial matrix
	// times the values there.
	coef := make([]*big.Rat, n)
	for c := range coef {
		coef[c] = new(big.Rat)
		for r := 0; r < n; r++ {
			if t.inv[c][r].Sign() != 0 && vals[1+r] != 0 {
				coef[c].Add(coef[c], new(big.Rat).Mul(t.inv[c][r], new(big.Rat).SetInt64(vals[1+r])))
			}
		}
	}
	p := &poly{}
	for c, ex := range exps {
		v := coef[c]
		if v.Sign() == 0 {
			continue
		}
		if !v.IsInt() || !v.Num().IsInt64() {
			return nil, fmt.Errorf("it is no polynomial in the dims with integer coefficients")
		}
		p.exps = append(p.exps, ex)
		p.coefs = append(p.coefs, v.Num().Int64())
	}
	for k := range t.probes {
		if k >= 1 && k <= t.grid {
			continue
		}
		if got := p.eval(t.probes[k]); got != vals[k] {
			return nil, fmt.Errorf("it is no polynomial in the dims (fitted %s gives %d at %s, not %d)", p.text(t.dyn), got, pointText(t.dyn, t.probes[k]), vals[k])
		}
	}
	if t.fits == nil {
		t.fits = map[string]*poly{}
	}
	t.fits[key] = p
	return p, nil
}

// gridInverse returns the inverse of the matrix of monomials exps at the
// grid points, exactly (Gauss-Jordan over rationals).
func gridInverse(points [][]int64, exps [][]int) ([][]*big.Rat, error) {
	n := len(exps)
	a := make([][]*big.Rat, n)
	for r := 0; r < n; r++ {
		a[r] = make([]*big.Rat, 2*n)
		for c, ex := range exps {
			a[r][c] = new(big.Rat).SetInt(monomial(points[r], ex))
		}
		for c := n; c < 2*n; c++ {
			a[r][c] = new(big.Rat)
		}
		a[r][n+r].SetInt64(1)
	}
	for c := 0; c < n; c++ {
		piv := -1
		for r := c; r < n; r++ {
			if a[r][c].Sign() != 0 {
				piv = r
				break
			}
		}
		if piv < 0 {
			return nil, fmt.Errorf("internal error: singular grid")
		}
		a[c], a[piv] = a[piv], a[c]
		inv := new(big.Rat).Inv(a[c][c])
		for k := c; k < 2*n; k++ {
			a[c][k].Mul(a[c][k], inv)
		}
		for r := 0; r < n; r++ {
			if r == c || a[r][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(a[r][c])
			for k := c; k < 2*n; k++ {
				a[r][k].Sub(a[r][k], new(big.Rat).Mul(f, a[c][k]))
			}
		}
	}
	out := make([][]*big.Rat, n)
	for r := range out {
		out[r] = a[r][n:]
	}
	return out, nil
}

func monomial(p []int64, ex []int) *big.Int {
	v := big.NewInt(1)
	for i, e := range ex {
		for range e {
			v.Mul(v, big.NewInt(p[i]))
		}
	}
	return v
}

func (p *poly) eval(x []int64) int64 {
	var s int64
	for i, ex := range p.exps {
		s += p.coefs[i] * monomial(x, ex).Int64()
	}
	return s
}

// vars lists the dims p reads.
func (p *poly) vars(dyn []runDim) []string {
	var out []string
	for i, r := range dyn {
		for _, ex := range p.exps {
			if ex[i] > 0 {
				out = append(out, r.name)
				break
			}
		}
	}
	return out
}

// render spells p with each dim as name(i), constant term last.
func (p *poly) render(name func(i int) string) string {
	type term struct {
		deg  int
		text string
		coef int64
	}
	var ts []term
	var c0 int64
	for i, ex := range p.exps {
		var parts []string
		deg := 0
		for k, e := range ex {
			for range e {
				parts = append(parts, name(k))
				deg++
			}
		}
		if deg == 0 {
			c0 = p.coefs[i]
			continue
		}
		ts = append(ts, term{deg, strings.Join(parts, "*"), p.coefs[i]})
	}
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].deg > ts[j].deg })
	var b strings.Builder
	for i, tm := range ts {
		c := tm.coef
		switch {
		case i == 0 && c < 0:
			b.WriteString("-")
			c = -c
		case i > 0 && c < 0:
			b.WriteString(" - ")
			c = -c
		case i > 0:
			b.WriteString(" + ")
		}
		if c != 1 {
			fmt.Fprintf(&b, "%d*", c)
		}
		b.WriteString(tm.text)
	}
	switch {
	case len(ts) == 0:
		fmt.Fprintf(&b, "%d", c0)
	case c0 > 0:
		fmt.Fprintf(&b, " + %d", c0)
	case c0 < 0:
		fmt.Fprintf(&b, " - %d", -c0)
	}
	return b.String()
}

// goExpr spells p as a Go expression over the fields of dv.
func (p *poly) goExpr(dyn []runDim) string {
	return "(" + p.render(func(i int) string { return "dv." + dyn[i].field }) + ")"
}

// text spells p with the dims' names, for comments.
func (p *poly) text(dyn []runDim) string {
	s := p.render(func(i int) string { return dyn[i].name })
	if len(p.exps) > 1 {
		return "(" + s + ")"
	}
	return s
}
