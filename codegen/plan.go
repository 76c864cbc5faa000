package codegen

import (
	"fmt"
	"sort"

	"github.com/kiln-ml/kiln/ir"
)

// arenaAlign is the alignment, in elements, of every buffer in an arena:
// 64 bytes (a cache line) for float32, 128 for int64.
const arenaAlign = 16

// buffer is one allocation in the activation arena: the storage of a value
// computed by a kernel, of the views of it and of the elementwise results
// computed in place over it. Its live range runs from the call that first
// writes it to the last call that reads it (inclusive, indices into
// graph.calls); a function output lives to the end.
type buffer struct {
	id         int
	dtype      ir.DType // which arena
	size       int      // elements
	start, end int
	offset     int // elements from the arena's start
	values     []*val
	scratch    string // what a buffer holding no value is for: "im2col"
}

// plan assigns arena offsets: liveness over the call order, in-place
// elementwise results where the operand dies at that call, im2col
// columns as buffers live during their call only, then greedy-by-size
// placement, each buffer in the smallest gap between
// buffers live at the same time that holds it (best fit), else above them.
// place, when not nil, gives the size each buffer is placed with, by
// buffer id (the sizes at the upper bounds of dims read at run time), so
// that every binding in their range gets the same offsets; it must list
// every buffer.
func (g *graph) plan(place []int) error {
	// Last call reading each root.
	lastUse := map[*val]int{}
	for i, c := range g.calls {
		reads := c.args[:len(c.args)-c.nres()]
		if c.ctl == ctlCopy {
			// The copy writes an If's result, already placed: it must
			// stay live up to here.
			reads = c.args
		}
		for _, a := range reads {
			lastUse[a.root] = i
		}
	}
	g.extendOverLoops(lastUse)
	end := len(g.calls)
	for _, r := range g.f.Body.Results {
		lastUse[g.vals[r].root] = end
	}
	for i, c := range g.calls {
		if c.view || c.ctl == ctlCopy {
			continue
		}
		for _, y := range c.args[len(c.args)-c.nres():] {
			if y.where == inHeap || y.where == inStr {
				continue // allocated by its kernel or by Run, not in the arena
			}
			if y.dtype == ir.String {
				return fmt.Errorf("%s %s: string values in control flow: not supported (strings have no arena)", c.op.Name, nodeName(c.op))
			}
			if src := g.inPlaceSource(c, i, y, lastUse); src != nil {
				r := src.storage()
				y.root = r
				if lastUse[y] > lastUse[r] {
					lastUse[r] = lastUse[y]
				}
				continue
			}
			b := &buffer{id: len(g.bufs), dtype: y.dtype, size: y.n, start: i, end: max(i, lastUse[y])}
			y.buf = b
			g.bufs = append(g.bufs, b)
		}
		// The im2col columns live during this call only, so they can
		// take arena space the call's operands and results leave free.
		if c.col > 0 {
			c.colBuf = &buffer{id: len(g.bufs), dtype: ir.F32, size: c.col, start: i, end: i, scratch: "im2col"}
			g.bufs = append(g.bufs, c.colBuf)
		}
	}
	// A later reader of an in-place result or a view extends its root.
	for v, i := range lastUse {
		if b := v.storage().buf; b != nil && i > b.end {
			b.end = i
		}
	}
	for _, c := range g.calls {
		for _, a := range c.args {
			if b := a.storage().buf; b != nil && !containsVal(b.values, a) {
				b.values = append(b.values, a)
			}
		}
	}
	if place != nil && len(place) != len(g.bufs) {
		return fmt.Errorf("the memory plan has %d buffers here and %d at the dims' upper bounds: the computation changes with the dims (an If they decide, a branch that cannot run at some sizes)", len(g.bufs), len(place))
	}
	size := func(b *buffer) int {
		if place != nil {
			return place[b.id]
		}
		return b.size
	}
	order := append([]*buffer(nil), g.bufs...)
	sort.SliceStable(order, func(i, j int) bool {
		if size(order[i]) != size(order[j]) {
			return size(order[i]) > size(order[j])
		}
		return order[i].start < order[j].start
	})
	g.arenaLen = map[ir.DType]int{}
	var placed []*buffer
	for _, b := range order {
		var live []*buffer
		for _, p := range placed {
			if p.dtype == b.dtype && p.start <= b.end && b.start <= p.end {
				live = append(live, p)
			}
		}
		sort.Slice(live, func(i, j int) bool {
			if live[i].offset != live[j].offset {
				return live[i].offset < live[j].offset
			}
			return live[i].id < live[j].id
		})
		best, bestGap := -1, 0
		at := 0
		for _, p := range live {
			if gap := p.offset - at; gap >= size(b) && (best < 0 || gap < bestGap) {
				best, bestGap = at, gap
			}
			at = max(at, alignUp(p.offset+size(p)))
		}
		if best < 0 {
			best = at
		}
		b.offset = best
		g.arenaLen[b.dtype] = max(g.arenaLen[b.dtype], alignUp(best+size(b)))
		placed = append(placed, b)
	}
	return nil
}

// nres is the number of results among a call's args.
func (c *call) nres() int {
	if c.view {
		return 1
	}
	if c.ctl != ctlNone {
		if c.ctl == ctlCopy {
			return 1
		}
		return c.nctl
	}
	n := 0
	for _, a := range c.args {
		if a.v.Def == c.op {
			n++
		}
	}
	return n
}

// inPlaceSource returns the operand of call i whose buffer result y may
// reuse: an op with the InPlace trait whose operand has y's shape and
// element type, lives in the arena, and is read by nothing after this
// call. Codegen's kernels for such ops read each element before writing
// the same index, so the overlap is safe.
func (g *graph) inPlaceSource(c *call, i int, y *val, lastUse map[*val]int) *val {
	d := ir.Lookup(c.op.Name)
	if d == nil || !d.Has(ir.InPlace) || len(c.op.Results) != 1 {
		return nil
	}
	for _, a := range c.args[:len(c.args)-1] {
		r := a.storage()
		if r.where == inArena && r.buf != nil && a.dtype == y.dtype && a.n == y.n && sameShape(a.shape, y.shape) && lastUse[r] == i {
			return a
		}
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func containsVal(vs []*val, v *val) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func alignUp(n int) int { return (n + arenaAlign - 1) / arenaAlign * arenaAlign }

// storage returns the val that owns v's elements: v itself, or what its
// view or in-place chain leads to.
func (v *val) storage() *val {
	r := v
	for r.root != r {
		r = r.root
	}
	return r
}

// extendOverLoops keeps every value that a loop body reads but that was
// computed before the loop live to the loop's end: the next iteration
// reads it again.
func (g *graph) extendOverLoops(lastUse map[*val]int) {
	def := map[*val]int{}
	var open []int
	for i, c := range g.calls {
		for _, y := range c.args[len(c.args)-c.nres():] {
			if _, ok := def[y.root]; !ok {
				def[y.root] = i
			}
		}
		switch c.ctl {
		case ctlLoop:
			open = append(open, i)
			continue
		case ctlLoopEnd:
			open = open[:len(open)-1]
			continue
		}
		if len(open) == 0 {
			continue
		}
		for _, a := range c.args[:len(c.args)-c.nres()] {
			d, ok := def[a.root]
			for _, b := range open {
				if ok && d < b {
					// Read across every loop opened after its definition.
					lastUse[a.root] = max(lastUse[a.root], g.loopEnd(b))
				}
			}
		}
	}
}

// loopEnd returns the index of the ctlLoopEnd call closing the loop that
// call b opens.
func (g *graph) loopEnd(b int) int {
	depth := 0
	for i := b; i < len(g.calls); i++ {
		switch g.calls[i].ctl {
		case ctlLoop:
			depth++
		case ctlLoopEnd:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(g.calls)
}

// usesArena reports whether Run needs the arena of element type d: some
// buffer lives there, if only a zero-size one.
func (g *graph) usesArena(d ir.DType) bool {
	for _, b := range g.bufs {
		if b.dtype == d {
			return true
		}
	}
	return false
}
