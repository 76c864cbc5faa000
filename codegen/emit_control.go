package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// ctlKind marks the calls that are control flow in the generated Run
// rather than kernel calls.
type ctlKind uint8

const (
	ctlNone    ctlKind = iota
	ctlIf              // if cond { : args are the condition, then the If's results
	ctlElse            // } else {
	ctlEnd             // }
	ctlCopy            // copy(dst, src): args are src, then dst (a result of op)
	ctlFail            // return the error msg: a branch that cannot run
	ctlLoop            // a Loop or Scan begins: its carried values are set, the for statement opens
	ctlLoopEnd         // the iteration's results are stored, the for statement closes
)

// regionEmitters lists the ops with regions codegen compiles: their
// regions' ops are checked and emitted as part of the function.
var regionEmitters = map[string]func(g *graph, op *ir.Op) error{}

func init() {
	regionEmitters["If"] = emitIf
}

// emitIf compiles an If whose condition is only known at run time (specialize
// inlined the others) into a Go if statement in Run. Each result gets its
// own buffer, declared before the statement, and each branch ends by
// copying what it returns into it, so the branches' own values live in
// the arena like any others; the memory plan sees the then branch's calls
// before the else branch's, which is conservative but safe. Both branches
// must give each result the same static shape.
func emitIf(g *graph, op *ir.Op) error {
	cond, err := g.data(op.Args[0])
	if err != nil {
		return err
	}
	if err := needStatic(cond); err != nil {
		return err
	}
	if cond.dtype != ir.Bool || cond.n != 1 {
		return fmt.Errorf("condition is %s, want one bool", dtypeText(cond.dtype, cond.shape))
	}
	begin := &call{op: op, ctl: ctlIf, args: []*val{cond}, nctl: len(op.Results)}
	var results []*val
	for i, r := range op.Results {
		if r.Type.Kind != ir.TensorKind {
			// A sequence or optional: a Go variable each branch sets.
			y, err := g.boxVal(r)
			if err != nil {
				return fmt.Errorf("result %d %v", i, err)
			}
			results = append(results, y)
			begin.args = append(begin.args, y)
			continue
		}
		y, err := g.newVal(r)
		if err != nil {
			return fmt.Errorf("result %d %v (the branches may give it different shapes, which codegen does not compile yet)", i, err)
		}
		y.where = inArena
		results = append(results, y)
		begin.args = append(begin.args, y)
	}
	g.calls = append(g.calls, begin)
	for bi, br := range op.Regions {
		if bi == 1 {
			g.calls = append(g.calls, &call{op: op, ctl: ctlElse})
		}
		if err := g.failed[br]; err != nil {
			g.calls = append(g.calls, &call{op: op, ctl: ctlFail, msg: err.Error()})
			continue
		}
		for _, bop := range br.Ops {
			if err := g.emitOp(bop); err != nil {
				return fmt.Errorf("%s: %s %s: %w", br.Name, bop.Name, nodeName(bop), err)
			}
		}
		for i, r := range br.Results {
			src, err := g.data(r)
			if err != nil {
				return fmt.Errorf("%s: result %d: %w", br.Name, i, err)
			}
			dst := results[i]
			if boxed(dst) && (src.v.Type.Kind != dst.v.Type.Kind || src.dtype != dst.dtype) {
				return fmt.Errorf("%s returns %s as result %d, the If gives %s", br.Name, src.v.Type, i, dst.v.Type)
			}
			if err := needStatic(src); err != nil && !boxed(dst) {
				return fmt.Errorf("%s: result %d: %w", br.Name, i, err)
			}
			if !boxed(dst) && (src.dtype != dst.dtype || !sameShape(src.shape, dst.shape)) {
				return fmt.Errorf("%s returns %s as result %d, the If gives %s; codegen needs every branch to give a result one static shape", br.Name, dtypeText(src.dtype, src.shape), i, dtypeText(dst.dtype, dst.shape))
			}
			g.calls = append(g.calls, &call{op: op, ctl: ctlCopy, args: []*val{src, dst}})
		}
	}
	g.calls = append(g.calls, &call{op: op, ctl: ctlEnd})
	return nil
}

// inlineIf replaces an If by the ops of the branch it takes: they move in
// front of it, in order, keeping their values, so reads of outer values
// inside them stay valid, and every read of the If's results reads the
// branch's instead.
func inlineIf(op *ir.Op, then bool) error {
	taken := op.Regions[1]
	if then {
		taken = op.Regions[0]
	}
	if len(taken.Results) != len(op.Results) {
		return fmt.Errorf("If %s: the taken branch returns %d values for %d results", nodeName(op), len(taken.Results), len(op.Results))
	}
	r := op.Parent
	i := 0
	for i < len(r.Ops) && r.Ops[i] != op {
		i++
	}
	if i == len(r.Ops) {
		return fmt.Errorf("internal error: If %s is not in its region", nodeName(op))
	}
	moved := taken.Ops
	for _, m := range moved {
		m.Parent = r
	}
	ops := make([]*ir.Op, 0, len(r.Ops)+len(moved)-1)
	ops = append(ops, r.Ops[:i]...)
	ops = append(ops, moved...)
	ops = append(ops, r.Ops[i+1:]...)
	r.Ops = ops
	taken.Ops = nil
	root := r.Root()
	for j, res := range op.Results {
		ir.ReplaceAllUses(root, res, taken.Results[j])
	}
	op.Parent = nil
	return nil
}

// ifCondition returns the condition of an If op when it is known at
// compile time.
func ifCondition(op *ir.Op) (int64, bool) {
	if !isIf(op) {
		return 0, false
	}
	c, ok := ir.KnownInts(op.Args[0])
	if !ok || len(c) != 1 {
		return 0, false
	}
	return c[0], true
}

// isIf reports whether op is an If with its two branches.
func isIf(op *ir.Op) bool {
	return op.Name == "If" && len(op.Regions) == 2 && len(op.Args) == 1
}

// iterLoop is what Run needs to write a Loop or a Scan: the values the
// ctlLoop call allocates and the ones the ctlLoopEnd call reads.
type iterLoop struct {
	id       int  // numbers the Go variables of the loop
	scan     bool // a Scan (else a Loop)
	trips    *val // Loop: the trip count M, or nil
	cond     *val // Loop: the initial condition, or nil
	length   int  // Scan: the number of iterations
	inits    []*val
	carried  []*val // the op's results holding the carried values
	next     []*val // where an iteration's carried results wait before they are carried
	iter     *val   // Loop: the body's iteration-number param
	condP    *val   // Loop: the body's condition param
	bodyCond *val   // Loop: the condition the body returns
	bodyOut  []*val // the body's carried results
	scanOut  []*val // the op's scan outputs
	bodyScan []*val // the body's scan output slices
	outAxes  []int  // Scan: each scan output's axis
	outRev   []bool // Scan: each scan output's direction is reversed
	scanIn   []*val // Scan: the scan inputs
	slices   []*val // Scan: the body's params holding one slice of each
	inAxes   []int
	inRev    []bool
	// unwrap pairs a carried optional with the Loop result that takes its
	// value after the loop (a Loop whose body turns an optional sequence
	// into a sequence; emit_sequence.go).
	unwrap [][2]*val
}

func init() {
	regionEmitters["Loop"] = emitLoop
	regionEmitters["Scan"] = emitScan
}

// loopState gives a Loop's or Scan's carried values their storage: each
// result is a buffer that the matching body param is a view of, filled
// from the initial value before the first iteration; an iteration's
// carried results are copied into next buffers, then into the results, so
// that a body swapping two carried values reads them before they change.
// Shapes must stay the same in every iteration.
func (g *graph) loopState(op *ir.Op, L *iterLoop, inits []*ir.Value, params []*ir.Value, results []*ir.Value) error {
	for i, v := range inits {
		init, err := g.data(v)
		if err != nil {
			return err
		}
		if v.Type.Kind != ir.TensorKind {
			if err := g.boxedState(L, init, op.Results[i], params[i]); err != nil {
				return fmt.Errorf("carried value %d %v", i, err)
			}
			continue
		}
		if err := needStatic(init); err != nil {
			return fmt.Errorf("carried value %d: %w", i, err)
		}
		y, err := g.newVal(op.Results[i])
		if err != nil {
			return fmt.Errorf("carried value %d %v; codegen compiles loops whose carried values keep one static shape (not yet ones whose shapes change per iteration)", i, err)
		}
		y.where = inArena
		if !sameShape(init.shape, y.shape) || init.dtype != y.dtype {
			return fmt.Errorf("carried value %d starts as %s and ends as %s; codegen compiles loops whose carried values keep one static shape (not yet ones whose shapes change per iteration)", i, dtypeText(init.dtype, init.shape), dtypeText(y.dtype, y.shape))
		}
		p, err := g.newVal(params[i])
		if err != nil {
			return fmt.Errorf("body param %d %v", i, err)
		}
		p.root, p.where = y, inArena
		next := &val{v: &ir.Value{Type: y.v.Type, Name: y.name + ".next"}, dtype: y.dtype, shape: y.shape, n: y.n, name: fmt.Sprintf("v%d", g.nextVar), where: inArena}
		g.nextVar++
		next.root = next
		L.inits = append(L.inits, init)
		L.carried = append(L.carried, y)
		L.next = append(L.next, next)
	}
	return nil
}

// loopBody emits the body's ops and records its results.
func (g *graph) loopBody(op *ir.Op, L *iterLoop, body *ir.Region, carried []*ir.Value, scans []*ir.Value) error {
	for _, bop := range body.Ops {
		if err := g.emitOp(bop); err != nil {
			return fmt.Errorf("body: %s %s: %w", bop.Name, nodeName(bop), err)
		}
	}
	for i, r := range carried {
		x, err := g.data(r)
		if err != nil {
			return err
		}
		if boxed(L.carried[i]) {
			if !boxedCarries(L.carried[i], x) {
				return fmt.Errorf("the body turns carried value %d from %s into %s", i, L.carried[i].v.Type, x.v.Type)
			}
		} else if err := needStatic(x); err != nil {
			return fmt.Errorf("the body's carried value %d: %w", i, err)
		} else if !sameShape(x.shape, L.carried[i].shape) || x.dtype != L.carried[i].dtype {
			return fmt.Errorf("the body turns carried value %d from %s into %s; codegen compiles loops whose carried values keep one static shape (not yet ones whose shapes change per iteration)", i, dtypeText(L.carried[i].dtype, L.carried[i].shape), dtypeText(x.dtype, x.shape))
		}
		L.bodyOut = append(L.bodyOut, x)
	}
	for _, r := range scans {
		x, err := g.data(r)
		if err != nil {
			return err
		}
		if err := needStatic(x); err != nil {
			return fmt.Errorf("the body's scan output: %w", err)
		}
		L.bodyScan = append(L.bodyScan, x)
	}
	return nil
}

// emitLoop compiles a Loop into a Go for statement in Run. The trip count
// and the condition are read at run time; carried values need one static
// shape, and scan outputs a static length, which Run checks against the
// iterations it made.
func emitLoop(g *graph, op *ir.Op) error {
	body := op.Regions[0]
	n := max(len(op.Args)-2, 0)
	k := len(body.Results) - 1 - n
	if len(body.Params) != n+2 || k < 0 {
		return fmt.Errorf("body takes %d params and returns %d values for %d carried values", len(body.Params), len(body.Results), n)
	}
	L := &iterLoop{id: g.nextVar}
	g.nextVar++
	if op.Arg(0) == nil && op.Arg(1) == nil {
		return fmt.Errorf("neither a trip count nor a condition: the loop never ends")
	}
	for i, p := range []**val{&L.trips, &L.cond} {
		if op.Arg(i) == nil {
			continue
		}
		x, err := g.data(op.Arg(i))
		if err != nil {
			return err
		}
		if err := needStatic(x); err != nil {
			return fmt.Errorf("operand %d: %w", i, err)
		}
		if x.n != 1 {
			return fmt.Errorf("operand %d is %s, want one element", i, dtypeText(x.dtype, x.shape))
		}
		*p = x
	}
	if k > 0 && L.trips == nil {
		return fmt.Errorf("scan outputs without a trip count: their length is not known at compile time")
	}
	if err := g.loopState(op, L, op.Args[2:], body.Params[2:], nil); err != nil {
		return err
	}
	for j := 0; j < k; j++ {
		y, err := g.newVal(op.Results[n+j])
		if err != nil {
			return fmt.Errorf("scan output %d %v; codegen needs its length at compile time", j, err)
		}
		y.where = inArena
		L.scanOut = append(L.scanOut, y)
	}
	var err error
	if L.iter, err = g.newVal(body.Params[0]); err != nil {
		return err
	}
	if L.condP, err = g.newVal(body.Params[1]); err != nil {
		return err
	}
	L.iter.where, L.condP.where = inArena, inArena
	g.calls = append(g.calls, L.beginCall(op))
	if err := g.loopBody(op, L, body, body.Results[1:1+n], body.Results[1+n:]); err != nil {
		return err
	}
	if L.bodyCond, err = g.data(body.Results[0]); err != nil {
		return err
	}
	g.calls = append(g.calls, L.endCall(op))
	g.unwrapCarried(op, L)
	return nil
}

// emitScan compiles a Scan into a Go for statement in Run over the scan
// length, known at compile time: each iteration copies one slice of each
// scan input into the body's param and one slice of each scan output out
// of the body's result, along their axes and directions.
func emitScan(g *graph, op *ir.Op) error {
	body := op.Regions[0]
	m := int(op.Int("num_scan_inputs"))
	n := len(op.Args) - m
	k := len(body.Results) - n
	if n < 0 || k < 0 || len(body.Params) != n+m {
		return fmt.Errorf("body takes %d params and returns %d values for %d operands", len(body.Params), len(body.Results), len(op.Args))
	}
	L := &iterLoop{id: g.nextVar, scan: true, length: -1}
	g.nextVar++
	axes := func(name string, count int) ([]int, []bool, error) {
		ax := make([]int, count)
		rev := make([]bool, count)
		if a := op.Ints(name + "_axes"); a != nil {
			if len(a) != count {
				return nil, nil, fmt.Errorf("%s_axes has %d entries for %d values", name, len(a), count)
			}
			for i, x := range a {
				ax[i] = int(x)
			}
		}
		if d := op.Ints(name + "_directions"); d != nil {
			if len(d) != count {
				return nil, nil, fmt.Errorf("%s_directions has %d entries for %d values", name, len(d), count)
			}
			for i, x := range d {
				rev[i] = x == 1
			}
		}
		return ax, rev, nil
	}
	var err error
	if L.inAxes, L.inRev, err = axes("scan_input", m); err != nil {
		return err
	}
	if L.outAxes, L.outRev, err = axes("scan_output", k); err != nil {
		return err
	}
	for j := 0; j < m; j++ {
		x, err := g.data(op.Args[n+j])
		if err != nil {
			return err
		}
		if err := needStatic(x); err != nil {
			return fmt.Errorf("scan input %d: %w", j, err)
		}
		ax, err := ir.NormAxis(int64(L.inAxes[j]), len(x.shape))
		if err != nil {
			return fmt.Errorf("scan input %d: %w", j, err)
		}
		L.inAxes[j] = ax
		if L.length < 0 {
			L.length = x.shape[ax]
		} else if x.shape[ax] != L.length {
			return fmt.Errorf("scan input %d has length %d, scan input 0 %d", j, x.shape[ax], L.length)
		}
		L.scanIn = append(L.scanIn, x)
	}
	if err := g.loopState(op, L, op.Args[:n], body.Params[:n], nil); err != nil {
		return err
	}
	for j := 0; j < m; j++ {
		s, err := g.newVal(body.Params[n+j])
		if err != nil {
			return fmt.Errorf("body param %d %v", n+j, err)
		}
		s.where = inArena
		L.slices = append(L.slices, s)
	}
	for j := 0; j < k; j++ {
		y, err := g.newVal(op.Results[n+j])
		if err != nil {
			return fmt.Errorf("scan output %d %v", j, err)
		}
		ax, err := ir.NormAxis(int64(L.outAxes[j]), len(y.shape))
		if err != nil {
			return fmt.Errorf("scan output %d: %w", j, err)
		}
		if y.shape[ax] != L.length {
			return fmt.Errorf("scan output %d is %s, want %d along axis %d", j, dtypeText(y.dtype, y.shape), L.length, ax)
		}
		L.outAxes[j] = ax
		y.where = inArena
		L.scanOut = append(L.scanOut, y)
	}
	g.calls = append(g.calls, L.beginCall(op))
	if err := g.loopBody(op, L, body, body.Results[:n], body.Results[n:]); err != nil {
		return err
	}
	for j, x := range L.bodyScan {
		if x.n*L.length != L.scanOut[j].n {
			return fmt.Errorf("the body's scan output %d is %s for %s", j, dtypeText(x.dtype, x.shape), dtypeText(L.scanOut[j].dtype, L.scanOut[j].shape))
		}
	}
	g.calls = append(g.calls, L.endCall(op))
	return nil
}

// beginCall is the ctlLoop call: it reads the trip count, the condition,
// the initial values and the scan inputs, and allocates the results, the
// next buffers and the body's params.
func (L *iterLoop) beginCall(op *ir.Op) *call {
	var reads, res []*val
	for _, x := range []*val{L.trips, L.cond} {
		if x != nil {
			reads = append(reads, x)
		}
	}
	reads = append(reads, L.inits...)
	reads = append(reads, L.scanIn...)
	res = append(res, L.carried...)
	res = append(res, L.scanOut...)
	res = append(res, L.next...)
	res = append(res, L.slices...)
	for _, x := range []*val{L.iter, L.condP} {
		if x != nil {
			res = append(res, x)
		}
	}
	return &call{op: op, ctl: ctlLoop, loop: L, args: append(reads, res...), nctl: len(res)}
}

// endCall is the ctlLoopEnd call: it reads what the body returns and
// keeps everything the begin call allocated live to the loop's end.
func (L *iterLoop) endCall(op *ir.Op) *call {
	var reads []*val
	if L.bodyCond != nil {
		reads = append(reads, L.bodyCond)
	}
	reads = append(reads, L.bodyOut...)
	reads = append(reads, L.bodyScan...)
	begin := L.beginCall(op)
	reads = append(reads, begin.args[len(begin.args)-begin.nctl:]...)
	reads = append(reads, begin.args[:len(begin.args)-begin.nctl]...)
	return &call{op: op, ctl: ctlLoopEnd, loop: L, args: reads}
}

// writeLoopBegin writes the opening of a Loop's or Scan's for statement:
// the buffers it allocates, the carried values' initial copies, and, at
// the top of each iteration, the body's iteration number, condition and
// scan input slices.
func (g *graph) writeLoopBegin(b *strings.Builder, c *call) {
	L := c.loop
	fmt.Fprintf(b, "// %s %s\n", c.op.Name, quoteLocs(c.op))
	for _, r := range c.args[len(c.args)-c.nctl:] {
		if boxed(r) {
			fmt.Fprintf(b, "var %s %s\n", r.name, goType(r))
			continue
		}
		off := r.storage().buf.offset
		fmt.Fprintf(b, "%s := %s[%d:%d:%d]\n", r.name, arenaVar[r.dtype], off, off+r.n, off+r.n)
	}
	for i, y := range L.carried {
		if boxed(y) {
			fmt.Fprintf(b, "%s = %s\n", y.name, g.expr(L.inits[i]))
			continue
		}
		fmt.Fprintf(b, "copy(%s, %s)\n", y.name, g.expr(L.inits[i]))
	}
	it := fmt.Sprintf("it%d", L.id)
	if L.scan {
		fmt.Fprintf(b, "for %s := 0; %s < %d; %s++ {\n", it, it, L.length, it)
		for j, s := range L.slices {
			x := L.scanIn[j]
			ax := L.inAxes[j]
			outer, inner := numel(x.shape[:ax]), numel(x.shape[ax+1:])
			t := it
			if L.inRev[j] {
				t = fmt.Sprintf("%d-%s", L.length-1, it)
			}
			fmt.Fprintf(b, "for o := 0; o < %d; o++ {\ncopy(%s[o*%d:(o+1)*%d], %s[(o*%d+%s)*%d:])\n}\n", outer, s.name, inner, inner, g.expr(x), L.length, t, inner)
		}
		return
	}
	cond := fmt.Sprintf("cond%d", L.id)
	if L.cond != nil {
		fmt.Fprintf(b, "%s := %s[0]\n", cond, g.expr(L.cond))
	} else {
		fmt.Fprintf(b, "%s := true\n", cond)
	}
	test := cond
	if L.trips != nil {
		test = fmt.Sprintf("%s < %s[0] && %s", it, g.expr(L.trips), cond)
	}
	fmt.Fprintf(b, "%s := int64(0)\nfor ; %s; %s++ {\n", it, test, it)
	fmt.Fprintf(b, "%s[0] = %s\n%s[0] = %s\n", L.iter.name, it, L.condP.name, cond)
	for j, y := range L.scanOut {
		fmt.Fprintf(b, "if %s >= %d {\nreturn Outputs{}, fmt.Errorf(\"%%s: iteration %%d: scan output %d was compiled for %d iterations\", %q, %s)\n}\n", it, y.shape[0], j, y.shape[0], c.op.Name+" "+nodeName(c.op), it)
	}
}

// writeLoopEnd writes the end of an iteration (scan output slices stored,
// carried values carried, the condition read) and closes the for
// statement; a Loop with scan outputs then checks it ran as many
// iterations as they were compiled for.
func (g *graph) writeLoopEnd(b *strings.Builder, c *call) {
	L := c.loop
	it := fmt.Sprintf("it%d", L.id)
	for j, y := range L.scanOut {
		x := L.bodyScan[j]
		if !L.scan {
			fmt.Fprintf(b, "copy(%s[int(%s)*%d:], %s)\n", y.name, it, x.n, g.expr(x))
			continue
		}
		ax := L.outAxes[j]
		outer, inner := numel(y.shape[:ax]), numel(y.shape[ax+1:])
		t := it
		if L.outRev[j] {
			t = fmt.Sprintf("%d-%s", L.length-1, it)
		}
		fmt.Fprintf(b, "for o := 0; o < %d; o++ {\ncopy(%s[(o*%d+%s)*%d:(o*%d+%s+1)*%d], %s[o*%d:(o+1)*%d])\n}\n", outer, y.name, L.length, t, inner, L.length, t, inner, g.expr(x), inner, inner)
	}
	for i, x := range L.bodyOut {
		if boxed(L.next[i]) {
			fmt.Fprintf(b, "%s = %s\n", L.next[i].name, g.expr(x))
			continue
		}
		fmt.Fprintf(b, "copy(%s, %s)\n", L.next[i].name, g.expr(x))
	}
	for i, y := range L.carried {
		if boxed(y) {
			fmt.Fprintf(b, "%s = %s\n", y.name, wrapBoxed(L.next[i], y))
			continue
		}
		fmt.Fprintf(b, "copy(%s, %s)\n", y.name, L.next[i].name)
	}
	if !L.scan {
		fmt.Fprintf(b, "cond%d = %s[0]\n", L.id, g.expr(L.bodyCond))
	}
	b.WriteString("}\n")
	if !L.scan && len(L.scanOut) > 0 {
		n := L.scanOut[0].shape[0]
		fmt.Fprintf(b, "if %s != %d {\nreturn Outputs{}, fmt.Errorf(\"%%s: %%d iterations, its scan outputs were compiled for %d\", %q, %s)\n}\n", it, n, n, c.op.Name+" "+nodeName(c.op), it)
	}
}

// bodyParams gives the params of a Loop's or Scan's body the types its
// operands now have (the source model may have left them symbolic or
// unknown), so that the body is inferred with static shapes: a Loop's
// iteration number and condition, then its carried values; a Scan's
// state values, then one slice of each scan input. Other ops are left
// alone.
func bodyParams(op *ir.Op) error {
	var types []ir.Type
	switch {
	case op.Name == "Loop" && len(op.Regions) == 1:
		types = []ir.Type{ir.TensorType(ir.I64, ir.ShapeOf()), ir.TensorType(ir.Bool, ir.ShapeOf())}
		for _, a := range op.Args[min(2, len(op.Args)):] {
			if a == nil {
				return fmt.Errorf("Loop %s: an absent carried value", nodeName(op))
			}
			types = append(types, a.Type)
		}
	case op.Name == "Scan" && len(op.Regions) == 1:
		m := int(op.Int("num_scan_inputs"))
		n := len(op.Args) - m
		if n < 0 {
			return fmt.Errorf("Scan %s: num_scan_inputs %d for %d operands", nodeName(op), m, len(op.Args))
		}
		axes := op.Ints("scan_input_axes")
		for i, a := range op.Args {
			t := a.Type
			if i >= n && t.Kind == ir.TensorKind && t.Shape.Ranked {
				ax := int64(0)
				if i-n < len(axes) {
					ax = axes[i-n]
				}
				k, err := ir.NormAxis(ax, len(t.Shape.Dims))
				if err != nil {
					return fmt.Errorf("Scan %s: scan input %d: %w", nodeName(op), i-n, err)
				}
				dims := append(append([]ir.Dim(nil), t.Shape.Dims[:k]...), t.Shape.Dims[k+1:]...)
				t = ir.TensorType(t.DType, ir.Shape{Ranked: true, Dims: dims})
			}
			types = append(types, t)
		}
	default:
		return nil
	}
	body := op.Regions[0]
	if len(body.Params) != len(types) {
		return fmt.Errorf("%s %s: body takes %d params, want %d", op.Name, nodeName(op), len(body.Params), len(types))
	}
	for i, p := range body.Params {
		p.Type = types[i]
	}
	return nil
}

// loopTrips gives a Loop's scan outputs their length when the trip count
// is known and the condition cannot stop it early: absent or known true,
// and the body returning its condition param unchanged or true. Exporters
// write Loops so (a constant true condition), which inference alone
// cannot see through.
func loopTrips(op *ir.Op) {
	if op.Name != "Loop" || len(op.Regions) != 1 || op.Arg(0) == nil {
		return
	}
	body := op.Regions[0]
	known := func(v *ir.Value) (int64, bool) {
		c, ok := ir.KnownInts(v)
		if !ok || len(c) != 1 {
			return 0, false
		}
		return c[0], true
	}
	m, ok := known(op.Arg(0))
	if !ok || len(body.Params) < 2 || len(body.Results) < 1 {
		return
	}
	if c := op.Arg(1); c != nil {
		if v, ok := known(c); !ok || v == 0 {
			return
		}
	}
	if r := body.Results[0]; r != body.Params[1] {
		if v, ok := known(r); !ok || v == 0 {
			return
		}
	}
	n := max(len(op.Args)-2, 0)
	for _, res := range op.Results[min(n, len(op.Results)):] {
		t := res.Type
		if t.Kind == ir.TensorKind && t.Shape.Ranked && len(t.Shape.Dims) > 0 && !t.Shape.Dims[0].IsStatic() {
			dims := append([]ir.Dim{ir.Static(max(m, 0))}, t.Shape.Dims[1:]...)
			res.Type = ir.TensorType(t.DType, ir.Shape{Ranked: true, Dims: dims})
		}
	}
}
